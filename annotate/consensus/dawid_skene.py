"""A Dawid-Skene estimate of each task's true answer, weighting annotators by how reliable they are.

Dawid and Skene (1979): annotator j answers value l when the true value is k with probability
`confusion[j, k, l]`, and true values occur with shares `prior[k]`. Expectation-maximisation
alternates two steps until the task posteriors settle:
- E: each task's posterior over true values, T[i, k] ~ prior[k] * product over its answers of
  confusion[j, k, l_ij] (in logs, so many answers do not underflow);
- M: `confusion` and `prior` re-estimated from the expected counts under T.

Choices made here (a maintained package was weighed: crowd-kit's `DawidSkene` needs
transformers and nltk as hard dependencies, far more than the forty lines here):
- Gold items are known answers: their posterior is held at the gold answer in every step, so
  an annotator's gold accuracy shapes their matrix from the start; every other task starts from
  its vote shares (majority vote), the usual start.
- Smoothing: each row of an annotator's matrix starts from a Dirichlet prior worth
  `prior_answers` answers, `PRIOR_ACCURACY` of them on the true value and the rest spread over
  the other values. An annotator seen on a handful of tasks is then neither fully trusted nor
  dismissed because of them; with many answers the data outweighs the prior. The value shares
  get one pseudo-count per value (Laplace).
- At most `MAX_STEPS` steps, stopping once no posterior moves by more than `TOLERANCE`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PRIOR_ACCURACY = 0.7  # the prior's share of an annotator's answers that are right, before any data
MAX_STEPS = 100
TOLERANCE = 1e-4  # in probability: far finer than any bar a decision is held to
FLOOR = 1e-9  # keeps every confusion cell above zero (no log of 0), whatever the prior


@dataclass(frozen=True)
class Estimate:
    posterior: np.ndarray  # tasks x values: the chance each value is the task's true answer
    accuracy: np.ndarray  # per annotator: estimated share of their answers that are right
    steps: int


def dawid_skene(tasks: np.ndarray, annotators: np.ndarray, answers: np.ndarray, gold: np.ndarray, n_values: int,
                *, prior_answers: float = 2.0) -> Estimate:  # fmt: skip
    """The estimate from one row per answer: `tasks[r]` (0..n_tasks-1, every task answered at
    least once), `annotators[r]` (0..n_annotators-1) and `answers[r]` (0..n_values-1). `gold[i]`
    is task i's known value, or -1."""
    from scipy import sparse  # a tenth of a second to import: only when a fit runs ('weighted' resolution)

    n_tasks, n_annotators = len(gold), int(annotators.max()) + 1 if len(annotators) else 0
    known = gold >= 0
    votes = np.bincount(tasks * n_values + answers, minlength=n_tasks * n_values).reshape(n_tasks, n_values)
    posterior = votes / votes.sum(axis=1, keepdims=True)
    posterior[known] = np.eye(n_values)[gold[known]]
    off = (1 - PRIOR_ACCURACY) / max(n_values - 1, 1)
    pseudo = prior_answers * np.where(np.eye(n_values, dtype=bool), PRIOR_ACCURACY, off) + FLOOR  # true value x answer
    # tasks x (annotator, answer) cells: how often each task got each answer from each annotator,
    # so both steps are one sparse product each (the cost of one pass over the answers)
    cells = annotators * n_values + answers
    given = sparse.csr_matrix((np.ones(len(cells)), (tasks, cells)), shape=(n_tasks, n_annotators * n_values))
    by_cell = given.T.tocsr()
    steps = 0
    for steps in range(1, MAX_STEPS + 1):
        # expected counts [j, l, k]: answer l by annotator j on tasks whose true value is k
        counts = (by_cell @ posterior).reshape(n_annotators, n_values, n_values)
        confusion = counts.transpose(0, 2, 1) + pseudo  # [j, k, l]: true value first, as the matrix reads
        confusion /= confusion.sum(axis=2, keepdims=True)
        prior = (posterior.sum(axis=0) + 1) / (n_tasks + n_values)
        scores = np.log(prior) + given @ np.log(confusion).transpose(0, 2, 1).reshape(n_annotators * n_values, n_values)
        updated = np.exp(scores - scores.max(axis=1, keepdims=True))
        updated /= updated.sum(axis=1, keepdims=True)
        updated[known] = posterior[known]
        moved = np.abs(updated - posterior).max() if n_tasks else 0.0
        posterior = updated
        if moved < TOLERANCE:
            break
    return Estimate(posterior, _accuracy(posterior, tasks, annotators, answers, n_annotators), steps)


def _accuracy(posterior: np.ndarray, tasks: np.ndarray, annotators: np.ndarray, answers: np.ndarray,
              n_annotators: int) -> np.ndarray:  # fmt: skip
    """Each annotator's expected share of right answers: the mean posterior of the values they gave."""
    right = posterior[tasks, answers]
    given = np.bincount(annotators, minlength=n_annotators)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(annotators, weights=right, minlength=n_annotators) / given
