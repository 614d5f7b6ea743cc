"""Weighted resolution: a Dawid-Skene estimate that trusts annotators as far as their gold answers
and their agreement with others earn, beside majority vote."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from annotate.config import ConfigError, Resolution, parse_config
from annotate.consensus.adjudication import adjudication_queue
from annotate.consensus.answer_table import answer_frame
from annotate.consensus.dawid_skene import dawid_skene
from annotate.consensus.resolution import resolve
from annotate.export.decisions import decisions
from annotate.export.spec import Selection
from annotate.review.annotators import add_annotator
from annotate.review.claims import submit
from tests.conftest import make_tasks

STRONG, LAZY = "sam@x.test", ("pat@x.test", "pia@x.test", "pol@x.test")
WEIGHTED = Resolution(method="weighted")


def verdict(name: str) -> dict:
    answer = {"kind": "correction", "verdict": name}
    if name == "corrected":
        answer.update(corrected_response="Open Settings > Billing > Export, then choose CSV.", failure_categories=["incomplete"],
                      severity="minor")
    elif name == "unusable":
        answer["rationale"] = "Cannot be judged."
    return answer


def choice(name: str) -> dict:
    return {"kind": "preference", "choice": name}


# --- the estimator ------------------------------------------------------------------------------


def _simulated(seed: int, accuracies: list[float], tasks: int = 1500, values: int = 3, per_task: int = 3):
    """Answers from annotators of known accuracy (a wrong answer is uniform over the values)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, values, tasks)
    rows = []
    for task in range(tasks):
        for person in rng.choice(len(accuracies), per_task, replace=False):
            right = rng.random() < accuracies[person]
            rows.append((task, person, truth[task] if right else rng.integers(0, values)))
    task_ids, people, answers = (np.array(column) for column in zip(*rows))
    return truth, task_ids, people, answers


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_estimate_finds_each_annotator_s_reliability_and_beats_majority_vote(seed):
    accuracies = [0.95, 0.9, 0.5, 0.4, 0.4, 0.35]
    truth, tasks, people, answers = _simulated(seed, accuracies)
    estimate = dawid_skene(tasks, people, answers, np.full(len(truth), -1), 3)
    expected = np.array(accuracies) + (1 - np.array(accuracies)) / 3  # a wrong draw can still hit the truth
    assert np.abs(estimate.accuracy - expected).max() < 0.06
    votes = np.bincount(tasks * 3 + answers, minlength=len(truth) * 3).reshape(-1, 3)
    weighted_right = (estimate.posterior.argmax(axis=1) == truth).mean()
    majority_right = (votes.argmax(axis=1) == truth).mean()
    assert weighted_right > majority_right + 0.03


def test_gold_items_keep_their_known_answer_and_teach_who_is_reliable():
    # two annotators who always disagree: only the gold items say which one is right
    tasks = np.repeat(np.arange(12), 2)
    people = np.tile([0, 1], 12)
    answers = np.tile([0, 1], 12)  # annotator 0 always says 0, annotator 1 always says 1
    gold = np.array([0] * 6 + [-1] * 6)  # the truth was 0 on the first six
    estimate = dawid_skene(tasks, people, answers, gold, 2)
    assert (estimate.posterior[:6, 0] == 1).all()
    assert (estimate.posterior[6:, 0] > 0.9).all(), "annotator 0 was right on every gold item"
    assert estimate.accuracy[0] > 0.9 > 0.1 > estimate.accuracy[1]


def test_the_prior_keeps_one_answer_from_weighing_as_much_as_a_long_record():
    # a newcomer answers once, against an annotator whom a third has seconded on 20 tasks
    tasks = np.array([0, 0] + [task for task in range(1, 21) for _ in range(2)])
    people = np.array([0, 1] + [0, 2] * 20)
    answers = np.array([0, 1] + [0, 0] * 20)
    smoothed = dawid_skene(tasks, people, answers, np.full(21, -1), 2)
    assert smoothed.posterior[0, 0] > 0.9, "the long, seconded record outweighs one unknown answer"
    bare = dawid_skene(tasks, people, answers, np.full(21, -1), 2, prior_answers=1e-6)
    assert bare.posterior[0, 0] == pytest.approx(0.5, abs=0.01), "unsmoothed, one answer weighs as much as twenty"


# --- resolution on a real store -----------------------------------------------------------------


@pytest.fixture
def lazy_majority(store):
    """Four annotators on eight correction gold items (truth 'corrected' on five): sam is right on
    every one, the three others say 'acceptable' to everything. Then a task where the three say
    'acceptable' and sam says 'corrected'."""
    for email in (STRONG, *LAZY):
        add_annotator(store, email)
    truths = ["corrected"] * 5 + ["acceptable"] * 3
    for truth in truths:
        gold = make_tasks(store, 1, required=4, gold_answer=json.dumps(verdict(truth)))[0]
        submit(store, gold, STRONG, verdict(truth))
        for email in LAZY:
            submit(store, gold, email, verdict("acceptable"))
    contested = make_tasks(store, 1, required=4)[0]
    submit(store, contested, STRONG, verdict("corrected"))
    for email in LAZY:
        submit(store, contested, email, verdict("acceptable"))
    return contested


def test_a_gold_accurate_annotator_outweighs_a_majority_of_poor_ones(store, lazy_majority):
    frame = answer_frame(store)
    majority = resolve(frame, Resolution(), {})
    assert majority.loc[lazy_majority, ["status", "method", "value"]].tolist() == ["resolved", "majority", "acceptable"]
    assert np.isnan(majority.loc[lazy_majority, "posterior"])

    weighted = resolve(frame, WEIGHTED, {})
    assert weighted.loc[lazy_majority, ["status", "method", "value"]].tolist() == ["resolved", "weighted", "corrected"]
    assert weighted.loc[lazy_majority, "posterior"] >= WEIGHTED.min_posterior
    gold = weighted[weighted["method"] == "gold"]
    assert len(gold) == 8 and gold["posterior"].isna().all(), "gold items are known, not estimated"


def test_a_weighted_decision_travels_to_the_export_with_its_method_and_posterior(store, project, lazy_majority):
    config = project.config.model_copy(update={"resolution": WEIGHTED})
    # the export's own bar would drop the lazy annotators' answers (3 of 8 gold right): off here
    made, _ = decisions(store, config, Selection(min_gold_accuracy=0))
    decision = next(each for each in made if each.task.id == lazy_majority)
    assert decision.method == "weighted" and decision.answer["verdict"] == "corrected"
    assert decision.posterior >= WEIGHTED.min_posterior
    assert decision.agreement == 0.25, "one answer of four agrees: the decision says so"


@pytest.fixture
def even_panel(store):
    """Four annotators, equally reliable by construction: every trio of them answers, for every
    true value, one unanimous task six times and one task per dissenter and wrong value, so each
    annotator dissents as often as the others, toward every value alike. Then a three-way split."""
    people = [f"even{number}@x.test" for number in range(4)]
    for email in people:
        add_annotator(store, email)
    values = ("acceptable", "corrected", "unusable")
    trios = [[email for email in people if email != left_out] for left_out in people]
    plans = []
    for trio in trios:
        for truth in range(3):
            plans += [(trio, [truth] * 3)] * 6
            for dissenter in range(3):
                for shift in (1, 2):
                    plans.append((trio, [(truth + shift) % 3 if position == dissenter else truth for position in range(3)]))
    tasks = make_tasks(store, len(plans), required=3)
    for task, (trio, given) in zip(tasks, plans):
        for email, value in zip(trio, given):
            submit(store, task, email, verdict(values[value]))
    split = make_tasks(store, 1, required=3)[0]
    for email, value in zip(trios[0], values):
        submit(store, split, email, verdict(value))
    return tasks, split


def test_on_equally_reliable_annotators_weighted_decides_as_majority(store, even_panel):
    tasks, split = even_panel
    frame = answer_frame(store)
    majority, weighted = resolve(frame, Resolution(), {}), resolve(frame, WEIGHTED, {})
    two_to_one = majority["method"] == "majority"
    assert two_to_one.sum() == 72
    assert (weighted.loc[two_to_one, "method"] == "weighted").all()
    assert weighted["value"].drop(index=split).tolist() == majority["value"].drop(index=split).tolist()
    assert (weighted.loc[majority["method"] == "unanimous", "method"] == "unanimous").all()
    assert weighted.loc[split, "status"] == majority.loc[split, "status"] == "needs_adjudication"
    assert "not sure" in weighted.loc[split, "reason"], weighted.loc[split, "reason"]


def test_an_even_split_between_two_equals_goes_to_the_lead(store, project):
    for email in ("ann@x.test", "bob@x.test"):
        add_annotator(store, email)
    task = make_tasks(store, 1, kind="preference", required=2)[0]
    submit(store, task, "ann@x.test", choice("a"))
    submit(store, task, "bob@x.test", choice("b"))
    config = project.config.model_copy(update={"resolution": WEIGHTED})
    queue = adjudication_queue(store, config)
    assert queue["task_id"].tolist() == [task]
    reason = queue.loc[0, "reason"]
    assert re.match(r"the weighted estimate is not sure \(a (0\.\d\d), b \1, .*\); it decides from 0\.80$", reason), reason


def test_preferences_are_weighted_on_their_own_values(store, lazy_majority):
    # a preference task beside the correction ones: its posterior spreads over a / b / tie / both_bad only
    add_annotator(store, "lou@x.test")
    task = make_tasks(store, 1, kind="preference", required=3)[0]
    for email, given in ((STRONG, "a"), (LAZY[0], "a"), ("lou@x.test", "tie")):
        submit(store, task, email, choice(given))
    weighted = resolve(answer_frame(store), WEIGHTED, {})
    assert weighted.loc[task, "value"] in {"a", "tie"} and weighted.loc[lazy_majority, "value"] == "corrected"


def test_the_method_and_its_bar_are_checked_in_the_config():
    assert parse_config('[resolution]\nmethod = "weighted"\n').resolution.method == "weighted"
    assert parse_config("").resolution.method == "majority", "majority stays the default"
    with pytest.raises(ConfigError, match=r"flywheel.toml:2: resolution.method"):
        parse_config('[resolution]\nmethod = "dawid"\n')
    with pytest.raises(ConfigError, match=r"resolution.min_posterior: .*greater than 0.5"):
        parse_config("[resolution]\nmin_posterior = 0.5\n")
