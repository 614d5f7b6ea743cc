"""Simulated experts for the demo: answers to the demo project's tasks from the sample generator's
ground truth, as a file `flywheel annotations import` reads (`data/sample/demo_answers.jsonl`).

Three annotators: the demo accounts `expert@demo.local` and `expert2@demo.local`, and
`vendor@demo.local`, an outside vendor's annotator the import registers. About three tasks in
four are answered (the rest wait for whoever signs in), every slot of an overlapping task is
filled, and the second expert is a little careless (now and then accepting a vague or refusing
answer, or preferring the wrong one), so agreement is high but not perfect and some tasks wait
for adjudication (a quarter of the overlapping corrections get three different verdicts).
Corrections use the most common good answer to the record's intent, as the
gold items do. Deterministic for a given store and seed.

Records another model wrote for the same prompts (`python -m train.sample_logs`: id `SAMPLE_ID@MODEL`)
have no ground-truth quality: the experts judge their answer against what they know, the intent's
good answer (close enough: acceptable; a refusal of a routine request: unwarranted refusal; else a
factual error), and correct it with that answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from random import Random

from rapidfuzz import fuzz

from annotate.sample.generator import generate_labelled_records
from annotate.sample.gold import best_good_answers
from annotate.store import Store
from annotate.text.refusal import is_refusal

EXPERTS = ("expert@demo.local", "expert2@demo.local", "vendor@demo.local")
ANSWERED_SHARE = 0.75
CARELESS = "expert2@demo.local"
CARELESS_RATE = 0.3
ISSUES = {  # quality: (failure categories, severity, rationale)
    "wrong": (["factual_error"], "major", "States product facts that are not true."),
    "hallucinated": (["factual_error"], "critical", "Invents a feature or a menu that does not exist."),
    "vague": (["unhelpful"], "minor", "Does not tell the user what to do."),
    "refusal": (["unwarranted_refusal"], "major", "A routine request; it should be answered."),
    "truncated": (["incomplete"], "major", "Stops half way."),
}
SPLIT_RATE = 0.25  # overlapping corrections where all three disagree: they wait for the lead
SPLIT_ANSWERS = {
    "expert2@demo.local": {"kind": "correction", "verdict": "acceptable", "rationale": "Good enough for the customer.",
                           "seconds_spent": 25.0},
    "vendor@demo.local": {"kind": "correction", "verdict": "unusable", "rationale": "Needs the billing team's answer.",
                          "seconds_spent": 60.0},
}  # fmt: skip
RANK = {"good": 0, "truncated": 1, "vague": 2, "refusal": 2, "wrong": 3, "hallucinated": 3}
CLOSE_ENOUGH = 70  # rapidfuzz token-set ratio (0-100) of another model's answer to the intent's good answer


def demo_answers(store: Store, n: int = 3000, seed: int = 7) -> Iterator[dict]:
    """Import lines (by record) for the store's tasks, for the sample records `generate_records(n, seed)`."""
    truth, good = _ground_truth(n, seed)
    rng = Random(seed)
    for task in store.tasks_with_record_ids():
        if rng.random() > ANSWERED_SHARE and task["required_annotations"] == 1:
            continue
        label = _label(truth, good, task["external_id"], task["response"])
        if label is None:
            continue
        people = _people(task, rng)
        split = task["kind"] == "correction" and len(people) >= 3 and not task["is_gold"] and rng.random() < SPLIT_RATE
        for email in people:
            careless = email == CARELESS and rng.random() < CARELESS_RATE
            if split and email != EXPERTS[0]:
                answer = SPLIT_ANSWERS[email]
            elif task["kind"] == "correction":
                answer = _gold(task) if task["is_gold"] and not careless else _correction(label, good, careless)
            else:
                label_b = _label(truth, good, task["external_b_id"], task["response_b"]) if task["external_b_id"] else None
                answer = _judgment(label, label_b, good, careless)
            if answer is None:
                continue
            line = {"record": task["external_id"], "source": task["source"], "annotator": email, "answer": answer}
            if task["external_b_id"]:
                line["record_b"] = task["external_b_id"]
            yield line


def _ground_truth(n: int, seed: int) -> tuple[dict[str, dict], dict[str, str]]:
    labelled = list(generate_labelled_records(n, seed))
    return {record["id"]: labels for record, labels in labelled}, best_good_answers(labelled)


def _label(truth: dict[str, dict], good: dict[str, str], external_id: str, response: str) -> dict | None:
    """The ground truth of a sample record; for another model's answer to its prompt (`ID@MODEL`),
    the same labels with the quality the experts judge that answer to have."""
    sample_id, _, answered_by = external_id.partition("@")
    label = truth.get(sample_id)
    if label is None or not answered_by:
        return label
    return {**label, "quality": _judged_quality(label, good, response), "pii_leak": False, "derived": True}


def _judged_quality(label: dict, good: dict[str, str], response: str) -> str:
    if label["json_format"]:
        return "format_invalid"  # the intent's exact JSON is not known for another model's answer: never accepted
    best = good.get(label["intent"])
    if best is not None and (fuzz.token_set_ratio(response, best) >= CLOSE_ENOUGH or is_refusal(best) and is_refusal(response)):
        return "good"  # close to the good answer, or declining where declining is the good answer
    return "refusal" if is_refusal(response) else "wrong"


def _people(task: dict, rng: Random) -> list[str]:
    if task["required_annotations"] >= len(EXPERTS):
        return list(EXPERTS)
    return rng.sample(EXPERTS, task["required_annotations"])


def _gold(task: dict) -> dict:
    return task["gold_answer"]


def _correction(label: dict, good: dict[str, str], careless: bool) -> dict:
    quality = label["quality"]
    if label["json_format"]:
        if quality == "good" or careless:
            return {"kind": "correction", "verdict": "acceptable", "seconds_spent": 35.0}
        return {"kind": "correction", "verdict": "unusable", "failure_categories": ["format_violation"], "severity": "major",
                "rationale": "Broken output; the engineering team should fix the format.", "seconds_spent": 50.0}  # fmt: skip
    if quality == "good" or (careless and quality in ("vague", "refusal")) or label["intent"] not in good:
        return {"kind": "correction", "verdict": "acceptable", "rationale": "Correct and complete.", "seconds_spent": 30.0}
    categories, severity, rationale = ISSUES.get(quality, (["incomplete"], "minor", "Needs work."))
    if label["pii_leak"]:
        categories, rationale = [*categories, "pii_leak"], rationale + " It also repeats the customer's personal data."
    return {"kind": "correction", "verdict": "corrected", "corrected_response": good[label["intent"]],
            "failure_categories": categories, "severity": severity, "rationale": rationale, "seconds_spent": 95.0}  # fmt: skip


def _judgment(a: dict, b: dict | None, good: dict[str, str], careless: bool) -> dict | None:
    if b is None:
        return None
    rank_a, rank_b = RANK.get(a["quality"], 2), RANK.get(b["quality"], 2)
    if rank_a == rank_b:
        if rank_a == 0:
            return {"kind": "preference", "choice": "tie", "seconds_spent": 40.0}
        return {"kind": "preference", "choice": "both_bad", "better_response": good.get(a["intent"]),
                "failure_categories": ["factual_error"] if rank_a == 3 else ["unhelpful"], "seconds_spent": 80.0}  # fmt: skip
    better = "a" if rank_a < rank_b else "b"
    if careless:
        better = "b" if better == "a" else "a"
    return {"kind": "preference", "choice": better, "seconds_spent": 45.0}
