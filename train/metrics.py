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
- Degenerate output (`annotate.text.degenerate`): each kind's count and rate with its Wilson
  interval, and truncation on its own; cost: output tokens (mean, p95), seconds per example,
  tokens per second.

Rates carry a Wilson interval in their `detail`, and every metric the gate compares keeps its
`per_example` figures so the gate can pair a candidate's examples with a reference's.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np

from annotate.stats import wilson_interval
from annotate.text.degenerate import KINDS, Generation, degenerate_kinds
from annotate.text.formats import FormatCheck
from annotate.text.refusal import is_refusal
from annotate.text.similarity import TextSimilarity


@dataclass(frozen=True)
class Metric:
    value: float | None  # None when there was nothing to measure
    n: int  # the sample size: examples, pairs or tokens, as `unit` says
    unit: str = "examples"
    detail: dict | None = None
    per_example: list | None = None  # each example's figure (None: not measured there), for paired intervals
    weights: list | None = None  # perplexity: each item's tokens

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
    return Metric(value, len(outputs), detail={**interval, "method": "corpus chrF of resampled examples"},
                  per_example=sentence_chrf(outputs, references))  # fmt: skip


def semantic(scores: Sequence[float], seed: int = 0, model: str | None = None) -> Metric:
    """Mean per-example semantic similarity (cosine, -1 to 1) with a bootstrap interval of the mean."""
    metric = mean_with_interval(scores, seed)
    if model and metric.detail:
        metric.detail["model"] = model
    return metric


def mean_with_interval(scores: Sequence[float], seed: int = 0) -> Metric:
    """The mean of per-example scores with a bootstrap interval of the mean (keeping the scores)."""
    if not len(scores):
        return Metric(None, 0)
    values = np.asarray(scores, dtype=np.float64)
    interval = bootstrap_interval(values, lambda total: total / len(values), seed)
    return Metric(float(values.mean()), len(values), detail={**interval, "method": "mean of resampled examples"},
                  per_example=[round(float(v), 6) for v in values])  # fmt: skip


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
    failures: dict[str, int] = defaultdict(int)
    per_example: list[int | None] = []
    for index, (output, system) in enumerate(zip(outputs, system_prompts)):
        if not check.applicable(system):
            per_example.append(None)
            continue
        problems = check.problems(output, system, requests[index] if requests is not None else None)
        per_example.append(int(not problems))
        for validator, _ in problems:
            failures[validator.name] += 1
    return _rate([v for v in per_example if v is not None], detail={"failures": dict(failures)}, per_example=per_example)


def length_ratio(outputs: Sequence[str], references: Sequence[str]) -> Metric:
    """Characters generated per character of the references (1: as long as the experts' answers)."""
    total = sum(len(reference) for reference in references)
    return Metric(sum(len(o) for o in outputs) / total if total else None, len(outputs))


def win_rate(candidate: Sequence[float], base: Sequence[float]) -> Metric:
    """wins / (wins + losses) of the candidate's per-example reward against the base's, with its
    Wilson interval; ties are counted in `detail`, not folded in (1 win and 6 ties is 1 of 1 decided,
    not 57%). `n` is the decided examples."""
    wins = sum(c > b for c, b in zip(candidate, base))
    ties = sum(c == b for c, b in zip(candidate, base))
    losses = len(candidate) - wins - ties
    metric = _rate([1] * wins + [0] * losses, unit="decided examples")
    return Metric(metric.value, metric.n, metric.unit, {**(metric.detail or {}), "wins": wins, "ties": ties, "losses": losses,
                                                        "examples": len(candidate)})  # fmt: skip


def consistency(outputs: Sequence[str], groups: Sequence[str | None], similarity: TextSimilarity, threshold: float) -> Metric:
    """Share of answer pairs within a paraphrase group that agree (similarity at or above `threshold`)."""
    members: dict[str, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        if group is not None:
            members[group].append(index)
    agreed: list[int] = []
    groups_used = 0
    for indices in members.values():
        if len(indices) < 2:
            continue
        groups_used += 1
        texts = [outputs[index] for index in indices]
        scores = similarity.cross(texts, texts)
        agreed += [int(scores[i, j] >= threshold) for i, j in combinations(range(len(texts)), 2)]
    return _rate(agreed, "pairs", {"groups": groups_used, "threshold": threshold}, agreed)


def perplexity(scores: Sequence[tuple[float, int]]) -> Metric:
    """exp(mean negative log-likelihood per token) over every reference token of the set, from each
    item's (log-likelihood, tokens); keeps each item's negative log-likelihood and tokens."""
    tokens = sum(count for _, count in scores)
    if tokens <= 0:
        return Metric(None, 0, "tokens")
    nll = [-float(log_likelihood) for log_likelihood, _ in scores]
    return Metric(math.exp(sum(nll) / tokens), tokens, "tokens", per_example=[round(v, 6) for v in nll],
                  weights=[count for _, count in scores])  # fmt: skip


def accuracy(correct: Sequence[bool]) -> Metric:
    return _rate([int(c) for c in correct])


def contains_answer(output: str, answer: str) -> bool:
    """Exact-answer match: the answer appears in the output as a whole word or number (case-insensitive)."""
    return re.search(rf"(?<![\w.]){re.escape(answer.lower())}(?![\w])", output.lower()) is not None


def refusal_rate(outputs: Sequence[str]) -> Metric:
    return _rate([int(is_refusal(output)) for output in outputs])


def degeneracy(generations: Sequence[Generation]) -> tuple[Metric, Metric, list[list[str]]]:
    """(degenerate, truncation, each answer's kinds): the share of answers with any kind but
    truncation, each kind's count and rate with its Wilson interval (`detail.by_kind`), and the
    share cut at `max_new_tokens` on its own (paired with the base's by the gate)."""
    kinds = [degenerate_kinds(generation) for generation in generations]
    n = len(kinds)
    by_kind = {}
    for kind in KINDS:
        count = sum(kind in found for found in kinds)
        low, high = wilson_interval(count, n) or (None, None)
        by_kind[kind] = {"count": count, "rate": count / n if n else None, "ci_low": low, "ci_high": high}
    any_kind = _rate([int(any(kind != "truncated" for kind in found)) for found in kinds], detail={"by_kind": by_kind})
    truncated = _rate([int("truncated" in found) for found in kinds])
    return any_kind, truncated, kinds


def cost(generations: Sequence[Generation]) -> dict[str, Metric]:
    """Output tokens (mean; p95 in `detail`), generation seconds per example and tokens per second."""
    tokens = [g.tokens for g in generations if g.tokens is not None]
    seconds = [g.seconds for g in generations if g.seconds is not None]
    if not tokens:
        return {}
    figures = {"output_tokens": Metric(float(np.mean(tokens)), len(tokens), detail={"p95": float(np.percentile(tokens, 95)),
                                                                                    "max": max(tokens)})}  # fmt: skip
    if seconds and sum(seconds) > 0:
        figures["seconds_per_example"] = Metric(float(np.mean(seconds)), len(seconds))
        figures["tokens_per_second"] = Metric(sum(tokens) / sum(seconds), sum(tokens), "tokens")
    return figures


def _rate(values: Sequence[int], unit: str = "examples", detail: dict | None = None,
          per_example: list | None = None) -> Metric:  # fmt: skip
    """The share of 1s, with its Wilson interval in `detail` and the values as `per_example`."""
    n = len(values)
    interval = wilson_interval(sum(values), n)
    extra = {"ci_low": interval[0], "ci_high": interval[1], "method": "Wilson score interval"} if interval else {}
    return Metric(sum(values) / n if n else None, n, unit, {**(detail or {}), **extra},
                  per_example if per_example is not None else list(values))
