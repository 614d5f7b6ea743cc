"""Agreement statistics, resolution rules, adjudication and gold scoring.

Statistics are checked against values worked by hand in the literature and against the
reference packages (`krippendorff`, scikit-learn) called directly on random data with gaps."""

from __future__ import annotations

import json

import jsonschema
import krippendorff
import numpy as np
import pytest
from rapidfuzz import fuzz
from sklearn.metrics import cohen_kappa_score

from annotate.config import Resolution
from annotate.consensus import reliability
from annotate.consensus.adjudication import adjudicate, adjudication_queue, promote_to_gold
from annotate.consensus.agreement import agreement_report
from annotate.consensus.answer_table import AnswerFilter, answer_frame
from annotate.consensus.resolution import resolve
from annotate.errors import ReviewError
from annotate.review.annotators import add_annotator
from annotate.review.claims import submit
from tests.conftest import REPO, make_tasks

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers, 12 units,
# values 1-5, '.' where an observer gave none. Published: nominal .743, ordinal .815.
KRIPPENDORFF_2011 = ["1 2 3 3 2 1 4 1 2 . . .", "1 2 3 3 2 2 4 1 2 5 . 3", ". 3 3 3 2 3 4 2 2 5 1 .", "1 2 3 3 2 4 4 1 2 5 1 ."]


def _published_example() -> np.ndarray:
    """Units x observers codes 0..4, MISSING for '.'."""
    return np.array([[reliability.MISSING if v == "." else int(v) - 1 for v in row.split()] for row in KRIPPENDORFF_2011]).T


def _random_codes(seed: int, units=400, raters=5, values=4, missing=0.3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, values, units)
    codes = np.where(rng.random((units, raters)) < 0.6, truth[:, None], rng.integers(0, values, (units, raters)))
    codes[rng.random((units, raters)) < missing] = reliability.MISSING
    return codes


def _as_reliability_data(codes: np.ndarray) -> np.ndarray:
    return np.where(codes == reliability.MISSING, np.nan, codes).T.astype(float)


# --- statistics ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "published"), [("nominal", 0.743), ("ordinal", 0.815)])
def test_alpha_matches_krippendorff_s_worked_example(level, published):
    result = reliability.alpha_with_ci(_published_example(), 5, level, samples=500)
    assert round(result.alpha, 3) == published
    assert result.n_items == 11 and result.n_annotators == 4  # unit 12 has one value: not pairable
    low, high = result.ci
    assert low < result.alpha <= high


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("level", ["nominal", "ordinal"])
def test_alpha_equals_the_reference_package_on_random_data_with_gaps(seed, level):
    codes = _random_codes(seed)
    ours = reliability.alpha_with_ci(codes, 4, level, samples=0).alpha
    reference = krippendorff.alpha(reliability_data=_as_reliability_data(codes), level_of_measurement=level,
                                   value_domain=[0, 1, 2, 3])  # fmt: skip
    assert ours == pytest.approx(reference, abs=1e-12)


@pytest.mark.parametrize("level", ["nominal", "ordinal"])
def test_every_bootstrap_replicate_is_the_reference_alpha_of_a_resample(level):
    codes = _random_codes(7, units=300)
    counts = reliability.value_counts(codes, 4)
    counts = counts[counts.sum(axis=1) >= 2]
    patterns, inverse = np.unique(counts, axis=0, return_inverse=True)
    rng = np.random.default_rng(0)
    for _ in range(5):
        resample = rng.integers(0, len(counts), len(counts))
        weights = np.bincount(inverse.ravel()[resample], minlength=len(patterns))[None, :]
        ours = reliability.replicate_alphas(patterns, weights, level)[0]
        reference = krippendorff.alpha(value_counts=counts[resample], value_domain=np.arange(4), level_of_measurement=level)
        assert ours == pytest.approx(reference, abs=1e-12)


def test_the_interval_narrows_with_more_data_and_holds_the_estimate():
    small = reliability.alpha_with_ci(_random_codes(4, units=100), 4, samples=1000)
    large = reliability.alpha_with_ci(_random_codes(4, units=5000), 4, samples=1000)
    assert small.ci[0] < small.alpha < small.ci[1] and large.ci[0] < large.alpha < large.ci[1]
    assert large.ci[1] - large.ci[0] < (small.ci[1] - small.ci[0]) / 3


def test_observed_agreement_is_the_share_of_agreeing_pairs():
    codes = np.array([[0, 0]] * 8 + [[0, 1], [1, 0]])  # two raters agree on 8 of 10 items
    assert reliability.alpha_with_ci(codes, 2, samples=0).observed_agreement == pytest.approx(0.8)
    three = np.array([[0, 0, 1]])  # one pair of three agrees
    assert reliability.alpha_with_ci(three, 2, samples=0).observed_agreement == pytest.approx(1 / 3)


def test_alpha_is_undefined_not_a_number_when_everyone_always_agrees_on_one_value():
    result = reliability.alpha_with_ci(np.zeros((20, 3), dtype=int), 3, samples=100)
    assert result.alpha is None and result.observed_agreement == 1.0 and result.n_items == 20


def test_kappa_matches_a_worked_example_and_sklearn():
    # Two raters, 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> p_o .7, p_e .5, kappa .4
    pairs = [(1, 1)] * 20 + [(1, 0)] * 5 + [(0, 1)] * 10 + [(0, 0)] * 15
    codes = np.array(pairs)
    kappas, shared = reliability.kappa_matrix(codes, ["a", "b"], min_shared=10)
    assert kappas["a"]["b"] == pytest.approx(0.4) and shared["a"]["b"] == 50
    random = _random_codes(5, units=200, raters=3)
    kappas, shared = reliability.kappa_matrix(random, ["x", "y", "z"], min_shared=10)
    both = (random[:, 0] != -1) & (random[:, 2] != -1)
    assert kappas["x"]["z"] == pytest.approx(cohen_kappa_score(random[both, 0], random[both, 2]))
    assert shared["x"]["z"] == int(both.sum())


def test_pairs_sharing_too_few_items_get_no_kappa():
    codes = np.array([[0, 0, -1]] * 4 + [[0, -1, 1]] * 20 + [[1, -1, 1]] * 20)
    kappas, shared = reliability.kappa_matrix(codes, ["a", "b", "c"], min_shared=10)
    assert shared["a"]["b"] == 4 and kappas["a"]["b"] is None
    assert kappas["a"]["c"] is not None and shared["b"]["c"] == 0 and kappas["b"]["c"] is None


def test_text_similarity_is_rapidfuzz_s_normalised_indel_similarity():
    texts = ["Go to Settings > Plan.", "Open Settings > Plan.", "Call support."]
    expected = np.mean([fuzz.ratio(a, b) / 100 for a, b in [(texts[0], texts[1]), (texts[0], texts[2]), (texts[1], texts[2])]])
    assert reliability.text_similarity(texts) == pytest.approx(expected)
    assert reliability.text_similarity(["same", "same"]) == 1.0 and reliability.text_similarity(["one"]) is None


def test_similarity_of_many_groups_at_once_equals_each_group_scored_pair_by_pair():
    rng = np.random.default_rng(3)
    words = ["open", "Settings", "Plan", "then", "Billing", "call", "us", "today"]
    sizes = rng.integers(2, 6, size=200)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    texts = np.array([" ".join(rng.choice(words, rng.integers(1, 8))) for _ in range(sizes.sum())], dtype=object)
    scores = reliability.group_text_similarity(texts, starts, sizes)
    for score, start, size in zip(scores, starts, sizes):
        group = list(texts[start : start + size])
        expected = np.mean([fuzz.ratio(a, b) / 100 for index, a in enumerate(group) for b in group[index + 1 :]])
        assert score == pytest.approx(expected, abs=1e-12)


# --- a store with overlapping answers -----------------------------------------------------------

ANN = ("ann@x.test", "bob@x.test", "cyd@x.test")


@pytest.fixture
def people(store):
    for email in ANN:
        add_annotator(store, email)
    add_annotator(store, "lead@x.test", "lead")
    return ANN


def corrected(text, categories=("incomplete",), severity="minor"):
    return {"kind": "correction", "verdict": "corrected", "corrected_response": text, "failure_categories": list(categories),
            "severity": severity}  # fmt: skip


def verdict(name, categories=(), severity=None, seconds=None):
    return {"kind": "correction", "verdict": name, "failure_categories": list(categories), "severity": severity,
            "seconds_spent": seconds, "rationale": "Cannot be judged." if name == "unusable" else ""}  # fmt: skip


def answer_all(store, task_id, answers):
    for email, answer in answers.items():
        submit(store, task_id, email, answer)


def test_resolution_rules_on_constructed_tasks(store, project, people):
    ann, bob, cyd = people
    unanimous, majority, split3, split2, diverging, close, pending = make_tasks(store, 7, required=3)
    answer_all(store, unanimous, {ann: verdict("acceptable"), bob: verdict("acceptable"), cyd: verdict("acceptable")})
    answer_all(store, majority, {ann: verdict("unusable"), bob: verdict("unusable"), cyd: verdict("acceptable")})
    answer_all(store, split3, {ann: verdict("unusable"), bob: corrected("x"), cyd: verdict("acceptable")})
    store.db.execute("UPDATE tasks SET required_annotations = 2 WHERE id = ?", [split2])
    answer_all(store, split2, {ann: verdict("unusable"), bob: verdict("acceptable")})
    answer_all(store, diverging, {ann: corrected("Open Settings, then Billing, then Plan."), bob: corrected("Call us on weekdays."),
                                  cyd: corrected("Open Settings, then Billing, then Plan!")})  # fmt: skip
    answer_all(store, close, {ann: corrected("Go to Reports > Export."), bob: corrected("Go to Reports > Export now."),
                              cyd: verdict("acceptable")})  # fmt: skip
    answer_all(store, pending, {ann: verdict("acceptable")})
    result = resolve(answer_frame(store), project.config.resolution, {})
    assert result.loc[unanimous, ["status", "method", "value"]].tolist() == ["resolved", "unanimous", "acceptable"]
    assert result.loc[majority, ["status", "method", "value"]].tolist() == ["resolved", "majority", "unusable"]
    assert result.loc[split3, "status"] == "needs_adjudication" and "no majority" in result.loc[split3, "reason"]
    assert result.loc[split2, "status"] == "needs_adjudication" and "only among 3 or more" in result.loc[split2, "reason"]
    assert result.loc[diverging, "status"] == "needs_adjudication" and "diverge" in result.loc[diverging, "reason"]
    assert result.loc[close, ["status", "method", "value"]].tolist() == ["resolved", "majority", "corrected"]
    assert result.loc[close, "similarity"] > 0.9
    assert result.loc[pending, "status"] == "pending"

    stricter = resolve(answer_frame(store), Resolution(majority_min_annotators=4, auto_unanimous=False), {})
    assert stricter.loc[majority, "status"] == "needs_adjudication"
    assert stricter.loc[unanimous, "status"] == "needs_adjudication"


def test_an_adjudication_wins_and_leaves_the_queue(store, project, people):
    ann, bob, cyd = people
    task = make_tasks(store, 1, required=3)[0]
    answer_all(store, task, {ann: verdict("unusable"), bob: corrected("Use the export button."), cyd: verdict("acceptable")})
    queue = adjudication_queue(store, project.config)
    assert queue["task_id"].tolist() == [task] and queue.loc[0, "prompt"] == "question 0"
    with pytest.raises(ReviewError, match="needs a reason"):
        adjudicate(store, task, "lead@x.test", verdict("unusable"), "  ")
    with pytest.raises(ReviewError, match="only leads and admins"):
        adjudicate(store, task, ann, verdict("unusable"), "I say so")
    bobs = next(row for row in store.task_answers(task) if row.email == bob)
    first = adjudicate(store, task, "lead@x.test", bobs.answer, "the export button exists", "picked", bobs.id)
    assert adjudication_queue(store, project.config).empty
    result = resolve(answer_frame(store), project.config.resolution, store.latest_adjudications())
    assert result.loc[task, ["method", "value"]].tolist() == ["adjudication", "corrected"]
    second = adjudicate(store, task, "lead@x.test", verdict("unusable"), "on reflection the question is unanswerable")
    standing = store.latest_adjudications()[task]
    assert standing.id == second and standing.supersedes == first and standing.verdict == "unusable"
    assert len(store.adjudication_history(task)) == 2

    assert promote_to_gold(store, task, "lead@x.test") is True
    assert promote_to_gold(store, task, "lead@x.test") is False
    gold = next(store.db.query("SELECT * FROM gold_answers"))
    assert gold["source"] == "adjudication" and json.loads(gold["answer"])["verdict"] == "unusable"


def test_gold_accuracy_and_agreement_with_the_decision_per_annotator(store, project, people):
    ann, bob, cyd = people
    gold_tasks = make_tasks(store, 4, required=2, gold_answer=json.dumps(verdict("unusable")))
    for task in gold_tasks[:3]:
        submit(store, task, ann, verdict("unusable", seconds=10))
    submit(store, gold_tasks[3], ann, verdict("acceptable", seconds=30))
    for task in gold_tasks[:2]:
        submit(store, task, bob, verdict("acceptable"))
    shared = make_tasks(store, 2, required=3)
    for task in shared:
        answer_all(store, task, {ann: verdict("acceptable"), bob: verdict("acceptable"), cyd: verdict("unusable")})
    report = agreement_report(store, project.config)
    rows = {row.email: row for row in report.annotators}
    assert rows[ann].gold_accuracy == 0.75 and rows[ann].n_gold == 4
    assert rows[bob].gold_accuracy == 0.0 and rows[cyd].gold_accuracy is None
    assert rows[ann].agreement_with_resolved == 1.0 and rows[cyd].agreement_with_resolved == 0.0
    assert rows[ann].n_resolved == 2 and rows[ann].median_seconds == 10.0
    assert rows[ann].weekly and rows[ann].weekly[0]["n"] == rows[ann].n_annotations


def test_the_report_fields_rest_on_overlapping_tasks_and_follow_the_filters(store, project, people):
    ann, bob, cyd = people
    tasks = make_tasks(store, 6, required=3)
    for number, task in enumerate(tasks):
        answer_all(store, task, {
            ann: corrected(f"Answer {number}, fixed.", ["incomplete"], "minor"),
            bob: corrected(f"Answer {number}, fixed!", ["incomplete"], "minor" if number % 2 else "major"),
            cyd: verdict("acceptable" if number % 3 else "unusable", severity="major"),
        })  # fmt: skip
    preference = make_tasks(store, 3, kind="preference", required=2)
    for task in preference:
        answer_all(store, task, {ann: {"kind": "preference", "choice": "a"}, bob: {"kind": "preference", "choice": "a"}})
    report = agreement_report(store, project.config)
    assert report.n_tasks == 9
    assert report.fields["verdict"].n_items == 6 and report.fields["verdict"].n_annotators == 3
    assert report.fields["preference"].n_items == 3 and report.fields["preference"].observed_agreement == 1.0
    assert report.fields["failure_category"].n_items == 9 * len(project.config.taxonomy.failure_categories)
    assert report.fields["severity"].measure == "krippendorff_alpha_ordinal"
    correction = report.fields["correction"]
    assert correction.measure == "text_similarity" and correction.n_items == 6 and correction.alpha > 0.9
    assert correction.edit_alpha is not None
    assert report.kappa_items["verdict"][ann][bob] == 6 and report.kappa["verdict"][ann][bob] is None  # < 10 shared

    only_preference = agreement_report(store, project.config, AnswerFilter(kind="preference"))
    assert only_preference.n_tasks == 3 and only_preference.fields["verdict"].n_items == 0
    assert only_preference.fields["verdict"].alpha is None
    assert agreement_report(store, project.config, AnswerFilter(until="2000-01-01")).n_tasks == 0
    assert agreement_report(store, project.config, AnswerFilter(annotator=cyd)).n_tasks == 6


def test_agreement_json_is_the_documented_shape(store, project, people, cli):
    ann, bob, cyd = people
    for task in make_tasks(store, 12, required=2):
        answer_all(store, task, {ann: verdict("acceptable"), bob: verdict("acceptable" if task % 4 else "unusable")})
    result = cli("agreement", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    schema = json.loads((REPO / "schemas" / "agreement-report.schema.json").read_text())
    jsonschema.validate(report, schema)
    assert set(report["fields"]) == {"verdict", "failure_category", "severity", "preference", "correction"}
    verdict_field = report["fields"]["verdict"]
    assert set(verdict_field) >= {"alpha", "alpha_ci", "observed_agreement", "n_items", "n_annotators"}
    assert isinstance(report["kappa"]["verdict"][ann][bob], float)
    assert {"email", "n_annotations", "gold_accuracy", "agreement_with_resolved", "median_seconds"} <= set(report["annotators"][0])
    table = cli("agreement")
    assert "verdict" in table.output and ann in table.output
    assert cli("agreement", "--round", "no-such-round").exit_code == 1


def test_adjudicate_list_and_decide_from_the_command_line(store, project, people, cli):
    ann, bob, cyd = people
    task = make_tasks(store, 1, required=2)[0]
    answer_all(store, task, {ann: verdict("unusable"), bob: verdict("acceptable")})
    listed = cli("adjudicate", "list")
    assert "answers split" in listed.output and "question 0" in listed.output
    pick = next(row.id for row in store.task_answers(task) if row.email == bob)
    decided = cli("adjudicate", "decide", str(task), "--lead", "lead@x.test", "--pick", str(pick), "--reason", "it is fine")
    assert decided.exit_code == 0, decided.output
    assert "Nothing to adjudicate" in cli("adjudicate", "list").output
    assert "now a gold item" in cli("adjudicate", "promote", str(task), "--lead", "lead@x.test").output


def test_agreement_without_overlap_says_where_overlap_is_set(project, cli):
    result = cli("agreement")
    assert result.exit_code == 0 and "`[overlap]` in flywheel.toml" in result.output


def test_dense_ranks_of_ordered_and_unordered_task_ids():
    from annotate.consensus.agreement import _dense_ranks

    ordered = np.array([3, 3, 7, 9, 9, 9])
    assert _dense_ranks(ordered)[0].tolist() == [0, 0, 1, 2, 2, 2] and _dense_ranks(ordered)[1] == 3
    shuffled = np.array([9, 3, 7, 3, 9])
    assert _dense_ranks(shuffled)[0].tolist() == [2, 0, 1, 0, 2] and _dense_ranks(shuffled)[1] == 3
