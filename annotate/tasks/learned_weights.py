"""Flag weights learned from the experts' verdicts (`flywheel select --weights learned`).

`learn_weights(store, config)` fits P(confirmed | flag scores) = sigmoid(b + sum_r w_r * s_r) on
every record experts have judged so far, in every round (`annotate.reports.flag_precision` says
what judged and confirmed mean). One feature per flag reason: the record's score for it, 0 when
it lacks the flag; spot-checked unflagged records (all zeros) anchor the intercept.

- Model: scikit-learn's `LogisticRegression` (a dependency already), L2 penalty at C = 1, so a
  reason with few verdicts stays near 0 and one no expert has judged adds nothing. The weights
  are log-odds per unit of flag score: negative when the experts mostly found that reason's
  records fine. Each carries a bootstrap 95% interval (`BOOTSTRAPS` seeded resamples of the
  judged records).
- Selection with learned weights ranks candidates by the model's probability that experts will
  confirm a problem, which orders them as the log-odds do and stays in [0, 1] (a weighted sum
  with negative weights would not).
- Refused (`SelectionError`) with fewer than `MIN_JUDGED` judged records, or fewer than
  `MIN_EACH` confirmed or fine ones: the model would fit noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from annotate.config import ProjectConfig
from annotate.consensus.resolution import resolve_answers
from annotate.errors import SelectionError
from annotate.records import FLAG_REASONS
from annotate.reports.flag_precision import judged_records, record_flags
from annotate.store import Store

MIN_JUDGED = 30  # judged records needed to fit
MIN_EACH = 5  # of each outcome (confirmed, fine)
BOOTSTRAPS = 200
PENALTY_C = 1.0  # scikit-learn's inverse L2 strength


@dataclass(frozen=True)
class LearnedWeights:
    weights: dict[str, float]  # reason -> log-odds per unit of flag score
    intervals: dict[str, tuple[float, float] | None]  # bootstrap 95% interval of each weight
    intercept: float
    judged: int  # records the model was fitted on
    confirmed: int
    evidence: dict[str, tuple[int, int]]  # reason -> (judged records with it, confirmed among them)

    def probability(self, reasons: dict[str, float]) -> float:
        """The model's probability that experts confirm a problem in a record with these flag scores."""
        logit = self.intercept + sum(self.weights.get(reason, 0.0) * score for reason, score in reasons.items())
        return 1 / (1 + math.exp(-logit))

    def explain(self, reasons: dict[str, float]) -> tuple[float, str]:
        """(probability, how it was made: "learned P(confirmed) 0.81 = σ(-1.20 + negative_feedback 2.31×1.00 + ...)")."""
        parts = sorted(((self.weights.get(r, 0.0) * s, r, s) for r, s in reasons.items()), reverse=True)
        terms = "".join(f" + {reason} {self.weights.get(reason, 0.0):.2f}×{score:.2f}" for _, reason, score in parts)
        probability = self.probability(reasons)
        return probability, f"learned P(confirmed) {probability:.2f} = σ({self.intercept:.2f}{terms})"


def learn_weights(store: Store, config: ProjectConfig, seed: int = 0) -> LearnedWeights:
    """Fit the model on every judged record so far (see the module docstring)."""
    judged = judged_records(store, resolve_answers(store, config).resolution)
    records = sorted(judged.confirmed)
    outcomes = np.array([judged.confirmed[record] for record in records], dtype=int)
    confirmed = int(outcomes.sum())
    if len(records) < MIN_JUDGED or min(confirmed, len(records) - confirmed) < MIN_EACH:
        raise SelectionError(
            f"too few verdicts to learn flag weights from: {len(records)} judged records ({confirmed} confirmed, "
            f"{len(records) - confirmed} fine); learning needs at least {MIN_JUDGED}, with {MIN_EACH} of each. "
            "Use --weights configured (the default) until the experts have judged more"
        )
    flags = record_flags(store, records)
    features = np.array([[flags.get(record, {}).get(reason, 0.0) for reason in FLAG_REASONS] for record in records])
    weights, intercept = _fit(features, outcomes)
    samples = _bootstrap(features, outcomes, seed)
    has = features > 0
    return LearnedWeights(
        weights=dict(zip(FLAG_REASONS, weights.tolist())),
        intervals={reason: (float(np.percentile(samples[:, column], 2.5)), float(np.percentile(samples[:, column], 97.5)))
                   if len(samples) else None for column, reason in enumerate(FLAG_REASONS)},
        intercept=intercept, judged=len(records), confirmed=confirmed,
        evidence={reason: (int(has[:, column].sum()), int(outcomes[has[:, column]].sum()))
                  for column, reason in enumerate(FLAG_REASONS)},
    )  # fmt: skip


def _fit(features: np.ndarray, outcomes: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=PENALTY_C, max_iter=1000).fit(features, outcomes)
    return model.coef_[0], float(model.intercept_[0])


def _bootstrap(features: np.ndarray, outcomes: np.ndarray, seed: int) -> np.ndarray:
    """Weights refitted on resamples of the records (a resample with one outcome only is skipped)."""
    rng = np.random.default_rng(seed)
    fitted = []
    for _ in range(BOOTSTRAPS):
        rows = rng.integers(0, len(outcomes), len(outcomes))
        if 0 < outcomes[rows].sum() < len(rows):
            fitted.append(_fit(features[rows], outcomes[rows])[0])
    return np.array(fitted).reshape(-1, features.shape[1])
