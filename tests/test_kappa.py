"""Cohen's kappa from confusion counts with numpy gives scikit-learn's figure: on random label sets,
on the edge cases (all agree, one class each, labels one rater never used, missing answers), and
through `kappa_matrix` for every annotator pair; the agreement command does not import scikit-learn."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from annotate.consensus import reliability
from annotate.consensus.reliability import MISSING, cohen_kappa, kappa_matrix


def confusion_of(first: np.ndarray, second: np.ndarray, values: int) -> np.ndarray:
    return np.bincount(first * values + second, minlength=values * values).reshape(values, values)


def sklearn_kappa(first, second) -> float | None:
    """scikit-learn's kappa, None where it is undefined (one label used in all)."""
    if len(np.union1d(first, second)) < 2:
        return None
    return float(cohen_kappa_score(first, second))


@pytest.mark.parametrize("seed", range(200))
def test_numpy_kappa_equals_sklearn_on_random_label_sets(seed):
    rng = np.random.default_rng(seed)
    values = int(rng.integers(2, 7))
    n = int(rng.integers(1, 400))
    first = rng.integers(0, values, n)
    agree = rng.random(n) < rng.random()  # from chance level to near-perfect agreement
    second = np.where(agree, first, rng.integers(0, values, n))
    expected = sklearn_kappa(first, second)
    got = cohen_kappa(confusion_of(first, second, values))
    assert (got is None) == (expected is None)
    if expected is not None:
        assert got == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ([0, 1, 2, 0, 1, 2], [0, 1, 2, 0, 1, 2]),  # all agree: kappa 1
        ([0, 0, 0, 0], [1, 1, 1, 1]),  # one class each, different: kappa 0
        ([0, 0, 0, 1], [0, 0, 0, 0]),  # the second rater used one class only
        ([0, 1, 0, 1], [1, 0, 1, 0]),  # always disagree: kappa -1
        ([2, 2, 0, 0, 2], [2, 0, 0, 2, 2]),  # value 1 used by neither rater (a gap in the codes)
        ([3, 3, 3, 0], [3, 3, 0, 0]),  # highest code only, the others unused
        ([1], [2]),  # a single item
    ],
)
def test_numpy_kappa_equals_sklearn_on_edge_cases(first, second):
    first, second = np.array(first), np.array(second)
    got = cohen_kappa(confusion_of(first, second, 4))
    assert got == pytest.approx(sklearn_kappa(first, second), abs=1e-12)


def test_kappa_is_undefined_when_both_raters_give_one_and_the_same_value():
    assert cohen_kappa(confusion_of(np.array([1, 1, 1]), np.array([1, 1, 1]), 3)) is None
    assert cohen_kappa(np.zeros((3, 3), dtype=int)) is None


@pytest.mark.parametrize("seed", range(30))
def test_every_pairs_kappa_equals_sklearn_on_the_items_both_answered(seed):
    rng = np.random.default_rng(1000 + seed)
    units, raters, values = int(rng.integers(5, 300)), int(rng.integers(2, 6)), int(rng.integers(2, 5))
    truth = rng.integers(0, values, units)
    codes = np.where(rng.random((units, raters)) < 0.7, truth[:, None], rng.integers(0, values, (units, raters)))
    codes[rng.random((units, raters)) < rng.uniform(0, 0.6)] = MISSING  # missing answers
    names = [f"r{index}" for index in range(raters)]
    kappas, shared = kappa_matrix(codes, names, min_shared=3)
    for i in range(raters):
        for j in range(i + 1, raters):
            both = (codes[:, i] != MISSING) & (codes[:, j] != MISSING)
            assert shared[names[i]][names[j]] == both.sum()
            expected = sklearn_kappa(codes[both, i], codes[both, j]) if both.sum() >= 3 else None
            got = kappas[names[i]][names[j]]
            assert (got is None) == (expected is None)
            if expected is not None:
                assert got == pytest.approx(expected, abs=1e-12)


def test_the_agreement_report_path_does_not_import_scikit_learn():
    probe = (
        "import sys, numpy as np; from annotate.consensus import agreement, reliability;"
        "reliability.kappa_matrix(np.array([[0, 1], [1, 1], [0, 0]]), ['a', 'b'], min_shared=1);"
        "print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=reliability.__file__.rsplit("/annotate/", 1)[0])
    assert out.stdout.strip() == "False"
