"""Gold items for the sample data: records whose right answer the generator knows.

Good answers are gold "acceptable"; unwarranted refusals and subtly wrong answers are gold
"corrected", with the most common good answer to the same intent as the correction. Only
single-turn, ungrouped, non-JSON records, so the known answer is unambiguous.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from random import Random

from annotate.sample.generator import generate_labelled_records

SOURCE = "ledgerly-prod"
MIX = {"good": 16, "refusal": 8, "wrong": 8}
CORRECTION = {
    "refusal": (["unwarranted_refusal"], "major", "The request is routine; the assistant should answer it."),
    "wrong": (["factual_error"], "major", "States product facts that are not true."),
}


def generate_gold(n: int = 3000, seed: int = 7, source: str = SOURCE) -> Iterator[dict]:
    """Gold lines for the records `generate_records(n, seed)` yields (deterministic)."""
    labelled = list(generate_labelled_records(n, seed))
    good_answers = best_good_answers(labelled)
    eligible = {quality: [] for quality in MIX}
    for record, labels in labelled:
        simple = len(record["messages"]) <= 2 and "group" not in record and not labels["json_format"]
        if simple and not labels["derived"] and labels["quality"] in eligible and labels["intent"] in good_answers:
            eligible[labels["quality"]].append((record, labels))
    rng = Random(seed)
    for quality, count in MIX.items():
        for record, labels in sorted(rng.sample(eligible[quality], min(count, len(eligible[quality]))), key=_id):
            yield {"source": source, "id": record["id"], "answer": _answer(quality, labels, good_answers)}


def best_good_answers(labelled: list[tuple[dict, dict]]) -> dict[str, str]:
    """Per intent, its most common good answer: the correction an expert would write."""
    counts: dict[str, Counter] = {}
    for record, labels in labelled:
        if labels["quality"] == "good":
            counts.setdefault(labels["intent"], Counter())[record["response"]] += 1
    return {intent: counter.most_common(1)[0][0] for intent, counter in counts.items()}


def _answer(quality: str, labels: dict, good_answers: dict[str, str]) -> dict:
    if quality == "good":
        return {"kind": "correction", "verdict": "acceptable", "rationale": "Correct and complete."}
    categories, severity, rationale = CORRECTION[quality]
    best = good_answers[labels["intent"]]
    return {
        "kind": "correction", "verdict": "corrected", "corrected_response": best,
        "failure_categories": categories, "severity": severity, "rationale": rationale,
    }  # fmt: skip


def _id(pair: tuple[dict, dict]) -> str:
    return pair[0]["id"]
