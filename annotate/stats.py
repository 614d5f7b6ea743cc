"""Confidence intervals sized to the sample, and what a threshold check concludes from one.

- `wilson_interval`: a rate's Wilson score interval (scipy), right at small n and at 0 or 1.
- `paired_bootstrap`: the interval of a candidate's figure minus a reference's on the same
  examples, resampling the examples together (seeded percentile bootstrap), so the noise the
  examples share cancels; for scores and perplexity.
- `paired_rate_difference`: the same for a rate (each example 0 or 1), by Newcombe's score
  interval for paired proportions, which stays honest when both sides agree everywhere.
- `judge`: pass, fail or inconclusive: a check passes only when the whole interval is on the
  right side of the threshold, fails when the whole interval is on the wrong side, and is
  inconclusive otherwise, with an estimate of the sample size that would decide it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
RESAMPLES = 1000
PASS, FAIL, INCONCLUSIVE, NOT_APPLICABLE, NOT_RUN = "pass", "fail", "inconclusive", "not_applicable", "not_run"


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """(low, high) of the rate successes / n; None when n is 0."""
    if n <= 0:
        return None
    from scipy.stats import binomtest

    interval = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def paired_bootstrap(candidate: np.ndarray, reference: np.ndarray, compare: Callable[[np.ndarray, np.ndarray], float],
                     seed: int = 0, resamples: int = RESAMPLES, confidence: float = CONFIDENCE) -> tuple[float, float, float]:  # fmt: skip
    """(delta, low, high): `compare` of the candidate's and the reference's figures over the same
    examples, with its percentile interval.

    `candidate` and `reference` hold one row per example (examples x columns); `compare` takes
    the column sums of a sample of rows of each side (a mean difference: sum of values over sum of
    ones, minus the same). Each resample draws the examples with replacement, the same draw for
    both sides, so what the examples share cancels."""
    candidate, reference = np.asarray(candidate, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    n = len(candidate)
    delta = compare(candidate.sum(axis=0), reference.sum(axis=0))
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples)  # each row: how often each example is drawn
    deltas = [compare(a, b) for a, b in zip(counts @ candidate, counts @ reference)]
    low, high = np.percentile(deltas, [50 * (1 - confidence), 50 * (1 + confidence)])
    return float(delta), float(low), float(high)


def paired_rate_difference(candidate: list[int], reference: list[int],
                           confidence: float = CONFIDENCE) -> tuple[float, float, float] | None:  # fmt: skip
    """(delta, low, high) of the candidate's rate minus the reference's, over the same examples
    (each 0 or 1): Newcombe's score interval for paired proportions (method 10, from the two
    Wilson intervals and the pairs' correlation). Unlike a bootstrap, it keeps its width when the
    two sides agree on every example: 1 of 5 right on both sides is not proof of "no change".
    None without examples."""
    n = len(candidate)
    if n == 0:
        return None
    both = sum(1 for x, y in zip(candidate, reference) if x and y)
    only_candidate = sum(1 for x, y in zip(candidate, reference) if x and not y)
    only_reference = sum(1 for x, y in zip(candidate, reference) if y and not x)
    neither = n - both - only_candidate - only_reference
    p1, p2 = (both + only_candidate) / n, (both + only_reference) / n
    (l1, u1), (l2, u2) = wilson_interval(both + only_candidate, n, confidence), wilson_interval(both + only_reference, n, confidence)
    margins = (both + only_candidate) * (only_reference + neither) * (both + only_reference) * (only_candidate + neither)
    agreement = both * neither - only_candidate * only_reference
    if margins == 0:
        phi = 0.0
    elif agreement > 0:
        phi = max(agreement - n / 2, 0) / math.sqrt(margins)
    else:
        phi = agreement / math.sqrt(margins)
    delta = p1 - p2
    below = math.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    above = math.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0))
    return delta, max(-1.0, delta - below), min(1.0, delta + above)


def mean_rows(values: list[float]) -> np.ndarray:
    """Rows (value, 1) whose column sums give a mean to `mean_of_rows`."""
    return np.column_stack([np.asarray(values, dtype=np.float64), np.ones(len(values))])


def mean_of_rows(total: np.ndarray) -> float:
    return float(total[0] / total[1]) if total[1] else 0.0


@dataclass(frozen=True)
class Judgement:
    status: str  # PASS, FAIL or INCONCLUSIVE
    needed_n: int | None  # inconclusive: about how many examples would make the interval this narrow decide


def judge(low: float, high: float, point: float, n: int, *, above: float | None = None, at_least: float | None = None,
          at_most: float | None = None) -> Judgement:  # fmt: skip
    """What an interval [low, high] says of a figure that must exceed (`above`), reach (`at_least`)
    or stay within (`at_most`) a threshold. Inconclusive carries the sample size at which an
    interval of this width (shrinking as 1/sqrt(n)) would clear the threshold from the point
    estimate; None when the point estimate sits on the threshold (no sample size decides it)."""
    if above is not None:
        passed, failed, threshold = low > above, high <= above, above
    elif at_least is not None:
        passed, failed, threshold = low >= at_least, high < at_least, at_least
    else:
        passed, failed, threshold = high <= at_most, low > at_most, at_most
    if passed:
        return Judgement(PASS, None)
    if failed:
        return Judgement(FAIL, None)
    margin, half_width = abs(point - threshold), (high - low) / 2
    if margin <= 1e-12 or n <= 0:
        return Judgement(INCONCLUSIVE, None)
    return Judgement(INCONCLUSIVE, max(n + 1, math.ceil(n * (half_width / margin) ** 2)))
