"""Evaluation's metrics, as pure functions of texts and numbers (no model), each returning a
`Metric`: the value and the sample size it rests on.

- Production quality: chrF (sacrebleu's, 0-100) of the answers against the experts' resolved
  answers, and their semantic similarity (mean cosine of sentence embeddings, -1 to 1; the
  per-example scores come from `train.semantic`), each with a seeded percentile bootstrap 95%
  confidence interval over the examples in its `detail`; the project's format validators' pass rate (the `format` flagger's own check); the
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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np

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


BOOTSTRAP_RESAMPLES = 1000
CONFIDENCE = 0.95
_CHUNK = 100  # resamples drawn at once (a chunk holds CHUNK x examples counts)


def bootstrap_interval(per_example: np.ndarray, score: Callable[[np.ndarray], float], seed: int = 0,
                       resamples: int = BOOTSTRAP_RESAMPLES, confidence: float = CONFIDENCE) -> dict:
    """Percentile bootstrap interval of a corpus score: `resamples` times, draw as many examples as
    there are with replacement (seeded), sum their rows of `per_example` (examples x statistics, or
    one score per example) and score the sum with `score`; the interval is the middle `confidence`
    share of those scores."""
    n = len(per_example)
    rng = np.random.default_rng(seed)
    values = []
    for start in range(0, resamples, _CHUNK):
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=min(_CHUNK, resamples - start))  # each row: one resample
        values += [float(score(total)) for total in counts @ per_example]
    low, high = np.percentile(values, [50 * (1 - confidence), 50 * (1 + confidence)])
    return {"ci_low": float(low), "ci_high": float(high), "resamples": resamples, "confidence": confidence,
            "seed": seed}


def chrf(outputs: Sequence[str], references: Sequence[str], seed: int = 0) -> Metric:
    """Corpus chrF (character n-gram F-score, 0-100) against one reference each, with a bootstrap
    interval of the corpus score: each resample of the examples sums their sentence statistics
    (character and word n-gram matches) and recomputes corpus chrF from the sums, as sacrebleu's own
    `corpus_score(n_bootstrap=...)` does (here with a percentile interval and our seed)."""
    from sacrebleu.metrics import CHRF

    if not outputs:
        return Metric(None, 0)
    scorer = CHRF()
    stats = np.array(scorer._extract_corpus_statistics(list(outputs), [list(references)]), dtype=np.float64)
    value = float(scorer._compute_score_from_stats(stats.sum(axis=0)).score)
    interval = bootstrap_interval(stats, lambda total: scorer._compute_score_from_stats(total).score, seed)
    return Metric(value, len(outputs), detail={**interval, "method": "corpus chrF of resampled examples"})


def semantic(scores: Sequence[float], seed: int = 0, model: str | None = None) -> Metric:
    """Mean per-example semantic similarity (cosine, -1 to 1) with a bootstrap interval of the mean."""
    if not len(scores):
        return Metric(None, 0)
    values = np.asarray(scores, dtype=np.float64)
    interval = bootstrap_interval(values, lambda total: total / len(values), seed)
    return Metric(float(values.mean()), len(values), detail={**interval, "method": "mean of resampled examples",
                                                             **({"model": model} if model else {})})  # fmt: skip


def sentence_chrf(outputs: Sequence[str], references: Sequence[str]) -> list[float]:
    """chrF of each answer against its reference: the per-example reward of the win rate."""
    from sacrebleu.metrics import CHRF

    scorer = CHRF()
    return [scorer.sentence_score(output, [reference]).score for output, reference in zip(outputs, references)]


def validator_pass_rate(outputs: Sequence[str], system_prompts: Sequence[str], check: FormatCheck,
                        requests: Sequence[str] | None = None) -> Metric:
    """Share of answers passing every validator that applies to them (answers no validator applies to
    are not counted). `requests` (the user's last turn of each prompt) lets the refusal validator
    accept refusals of harmful requests."""
    checked = passed = 0
    failures: dict[str, int] = defaultdict(int)
    for index, (output, system) in enumerate(zip(outputs, system_prompts)):
        if not check.applicable(system):
            continue
        checked += 1
        problems = check.problems(output, system, requests[index] if requests is not None else None)
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
