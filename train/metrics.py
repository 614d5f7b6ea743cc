"""Evaluation's metrics, as pure functions of texts and numbers (no model), each returning a
`Metric`: the value and the sample size it rests on.

- Production quality: chrF (sacrebleu's, 0-100) of the answers against the experts' resolved
  answers; the project's format validators' pass rate (the `format` flagger's own check); the
  length ratio (characters generated per character of the experts' answers); the win rate against
  the base, example by example, with the per-example chrF as the reward signal.
- Consistency: within each paraphrase group, the share of answer pairs that agree, with the
  inconsistency flagger's similarity and threshold.
- Forgetting: perplexity of the reference answers of a general set, and its accuracy.
- Safety: refusal rate on harmful prompts and on benign ones (over-refusal), with the flagger's
  refusal detector.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import combinations

from annotate.text.formats import FormatCheck
from annotate.text.refusal import is_refusal
from annotate.text.similarity import TextSimilarity


@dataclass(frozen=True)
class Metric:
    value: float | None  # None when there was nothing to measure
    n: int  # the sample size: examples, pairs or tokens, as `unit` says
    unit: str = "examples"
    detail: dict | None = None

    def as_dict(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value is not None or key == "value"}


def chrf(outputs: Sequence[str], references: Sequence[str]) -> Metric:
    """Corpus chrF (character n-gram F-score, 0-100) against one reference each."""
    from sacrebleu.metrics import CHRF

    if not outputs:
        return Metric(None, 0)
    return Metric(CHRF().corpus_score(list(outputs), [list(references)]).score, len(outputs))


def sentence_chrf(outputs: Sequence[str], references: Sequence[str]) -> list[float]:
    """chrF of each answer against its reference: the per-example reward of the win rate."""
    from sacrebleu.metrics import CHRF

    scorer = CHRF()
    return [scorer.sentence_score(output, [reference]).score for output, reference in zip(outputs, references)]


def validator_pass_rate(outputs: Sequence[str], system_prompts: Sequence[str], check: FormatCheck) -> Metric:
    """Share of answers passing every validator that applies to them (answers no validator applies to
    are not counted)."""
    checked = passed = 0
    failures: dict[str, int] = defaultdict(int)
    for output, system in zip(outputs, system_prompts):
        if not check.applicable(system):
            continue
        checked += 1
        problems = check.problems(output, system)
        passed += not problems
        for validator, _ in problems:
            failures[validator.name] += 1
    return Metric(passed / checked if checked else None, checked, detail={"failures": dict(failures)})


def length_ratio(outputs: Sequence[str], references: Sequence[str]) -> Metric:
    """Characters generated per character of the references (1: as long as the experts' answers)."""
    total = sum(len(reference) for reference in references)
    return Metric(sum(len(o) for o in outputs) / total if total else None, len(outputs))


def win_rate(candidate: Sequence[float], base: Sequence[float]) -> Metric:
    """Share of examples where the candidate's reward beats the base's (ties count half)."""
    wins = sum(c > b for c, b in zip(candidate, base))
    ties = sum(c == b for c, b in zip(candidate, base))
    n = len(candidate)
    detail = {"wins": wins, "ties": ties, "losses": n - wins - ties}
    return Metric((wins + ties / 2) / n if n else None, n, detail=detail)


def consistency(outputs: Sequence[str], groups: Sequence[str | None], similarity: TextSimilarity, threshold: float) -> Metric:
    """Share of answer pairs within a paraphrase group that agree (similarity at or above `threshold`)."""
    members: dict[str, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        if group is not None:
            members[group].append(index)
    agree = pairs = 0
    groups_used = 0
    for indices in members.values():
        if len(indices) < 2:
            continue
        groups_used += 1
        texts = [outputs[index] for index in indices]
        scores = similarity.cross(texts, texts)
        for i, j in combinations(range(len(texts)), 2):
            pairs += 1
            agree += bool(scores[i, j] >= threshold)
    return Metric(agree / pairs if pairs else None, pairs, "pairs", {"groups": groups_used, "threshold": threshold})


def perplexity(negative_log_likelihood: float, tokens: int) -> Metric:
    """exp(mean negative log-likelihood per token) over every reference token of the set."""
    if tokens <= 0:
        return Metric(None, 0, "tokens")
    return Metric(math.exp(negative_log_likelihood / tokens), tokens, "tokens")


def accuracy(correct: Sequence[bool]) -> Metric:
    return Metric(sum(correct) / len(correct) if correct else None, len(correct))


def contains_answer(output: str, answer: str) -> bool:
    """Exact-answer match: the answer appears in the output as a whole word or number (case-insensitive)."""
    return re.search(rf"(?<![\w.]){re.escape(answer.lower())}(?![\w])", output.lower()) is not None


def refusal_rate(outputs: Sequence[str]) -> Metric:
    refused = [is_refusal(output) for output in outputs]
    return Metric(sum(refused) / len(refused) if refused else None, len(refused))
