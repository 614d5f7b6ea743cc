"""Flags judged by experts: per reason, how often the experts confirmed a real problem; the
failure rate of spot-checked unflagged records; the calibration of the confidence signals; all
in `flywheel round report` and on the Rounds page."""

from __future__ import annotations

import json

import pytest

from annotate.ingest import ingest_files
from annotate.reports.flag_precision import ANY_FLAG, SPOT_CHECKED, flag_precision
from annotate.reports.round_report import round_report
from annotate.review.annotators import add_annotator
from annotate.review.claims import submit
from annotate.stats import wilson_interval
from annotate.tasks.selection import select_tasks
from tests.conftest import make_tasks, record

PEOPLE = ("ana@x.test", "ben@x.test", "cy@x.test")
ANSWERS = {
    "acceptable": {"kind": "correction", "verdict": "acceptable"},
    "unusable": {"kind": "correction", "verdict": "unusable", "rationale": "Cannot be judged."},
    "corrected": {"kind": "correction", "verdict": "corrected", "failure_categories": ["incomplete"], "severity": "minor",
                  "corrected_response": "Open Settings > Billing, then choose Export."},
}  # fmt: skip


@pytest.fixture
def experts(store):
    for email in PEOPLE:
        add_annotator(store, email)
    return PEOPLE


def flagged_tasks(store, n, flags, kind="correction", required=1):
    """n tasks on fresh records, each record flagged with `flags` ({reason: score})."""
    task_ids = make_tasks(store, n, kind=kind, required=required)
    records = [r for task_id in task_ids for r in (store.task(task_id).record_id, store.task(task_id).record_b_id) if r]
    store.save_flags([(record_id, reason, score, "planted") for record_id in records for reason, score in flags.items()])
    return task_ids


def answer(store, task_id, value, people=None):
    """Every slot of the task answered with the same verdict (or choice, for a comparison)."""
    task = store.task(task_id)
    given = ANSWERS.get(value) or {"kind": "preference", "choice": value}
    for email in (people or PEOPLE[: task.required_annotations]):
        submit(store, task_id, email, given)


def unflagged_records(store, write_jsonl, n, *, logprob=None):
    rows = [record(f"Unflagged question {k} about invoices", "A plain answer.", id=f"quiet-{k}",
                   **({"logprobs": {"mean": logprob, "min": logprob}} if logprob is not None else {}))
            for k in range(n)]  # fmt: skip
    ingest_files(store, [write_jsonl(rows, "quiet.jsonl")], source="prod")


def rows_by_label(section):
    return {row["label"]: row for row in section["precision"]}


def test_precision_per_reason_counts_exactly_what_the_experts_decided(store, project, experts, write_jsonl, cli):
    feedback = flagged_tasks(store, 12, {"negative_feedback": 1.0})
    for number, task_id in enumerate(feedback):
        answer(store, task_id, "corrected" if number < 9 else "acceptable")
    formats = flagged_tasks(store, 4, {"format": 0.7})
    answer(store, formats[0], "unusable")
    for task_id in formats[1:]:
        answer(store, task_id, "acceptable")
    waiting = flagged_tasks(store, 2, {"pii": 0.9}, required=3)
    for task_id in waiting:
        answer(store, task_id, "corrected", people=PEOPLE[:1])  # one of three slots: no decision yet
    (pair,) = flagged_tasks(store, 1, {"inconsistency": 0.8}, kind="preference")
    answer(store, pair, "a")  # A kept, B confirmed as the worse answer
    (gold,) = make_tasks(store, 1, gold_answer=json.dumps({"kind": "correction", "verdict": "acceptable"}))
    store.save_flags([(store.task(gold).record_id, "negative_feedback", 1.0, "planted")])
    answer(store, gold, "corrected")  # gold items say how good the experts are, not the flags
    unflagged_records(store, write_jsonl, 20)
    report = select_tasks(store, project.config, budget=5, spot_check=5)
    spot = [store.task(task_id) for task_id in report.task_ids]
    assert [task.origin for task in spot] == ["spot_check"] * 5
    for number, task in enumerate(spot):
        answer(store, task.id, "corrected" if number == 0 else "acceptable")

    section = round_report(store, project)["flags_judged"]
    rows = rows_by_label(section)
    feedback_row = rows["negative_feedback"]
    assert (feedback_row["judged"], feedback_row["confirmed"], feedback_row["fine"]) == (12, 9, 3)
    assert feedback_row["rate"] == 0.75 and feedback_row["interval"] == list(wilson_interval(9, 12))
    assert feedback_row["enough_evidence"]
    assert (rows["format"]["judged"], rows["format"]["confirmed"], rows["format"]["enough_evidence"]) == (4, 1, False)
    assert (rows["pii"]["judged"], rows["pii"]["undecided"], rows["pii"]["rate"]) == (0, 2, None)
    assert (rows["inconsistency"]["judged"], rows["inconsistency"]["confirmed"]) == (2, 1)
    assert (rows[ANY_FLAG]["judged"], rows[ANY_FLAG]["confirmed"], rows[ANY_FLAG]["undecided"]) == (18, 11, 2)
    assert (rows[SPOT_CHECKED]["judged"], rows[SPOT_CHECKED]["confirmed"]) == (5, 1)
    assert section["judged_records"] == 23  # 12 + 4 + 2 in the pair + 5 spot checks; gold and undecided left out

    shown = cli("round", "report")
    assert shown.exit_code == 0
    assert "Flags judged by experts" in shown.output and "75% [47%, 91%]" in shown.output
    assert "not enough evidence" in shown.output and SPOT_CHECKED in shown.output
    as_json = json.loads(cli("round", "report", "--json").output)
    assert rows_by_label(as_json["flags_judged"])[SPOT_CHECKED]["confirmed"] == 1


def _confident_and_unsure(store, confident_mean, unsure_mean):
    """10 records the model was sure of (experts: fine) and 10 it was not (experts: corrected)."""
    confident = flagged_tasks(store, 10, {"low_confidence": 0.55})
    unsure = flagged_tasks(store, 10, {"low_confidence": 1.0})
    store.save_signals("scorer", [(store.task(t).record_id, confident_mean(k), -1.0, 0.5, 9) for k, t in enumerate(confident)]
                       + [(store.task(t).record_id, unsure_mean(k), -9.0, 2.5, 9) for k, t in enumerate(unsure)])  # fmt: skip
    for task_id in confident:
        answer(store, task_id, "acceptable")
    for task_id in unsure:
        answer(store, task_id, "corrected")


def test_calibration_bins_the_signals_against_the_verdicts(store, project, experts):
    _confident_and_unsure(store, lambda k: -0.2, lambda k: -3.0)
    answers = round_report(store, project)["flags_judged"]["calibration"]
    logprob = answers["logprob_mean"]["bins"]
    assert [(b["judged"], b["confirmed"]) for b in logprob] == [(10, 10), (10, 0)]  # lowest logprob first
    assert [(b["low"], b["high"]) for b in logprob] == [(-3.0, -3.0), (-0.2, -0.2)]  # few values: a bin each
    assert answers["logprob_mean"]["without_signal"] == 0
    scores = {b["label"]: (b["judged"], b["confirmed"]) for b in answers["flag_score"]["bins"]}
    assert scores == {"0.50 to 0.75": (10, 0), "0.75 to 1.00": (10, 10)}


def test_spread_logprobs_fall_in_five_bins_of_equal_size(store, project, experts):
    _confident_and_unsure(store, lambda k: -0.1 - k / 100, lambda k: -3.0 - k / 10)
    bins = round_report(store, project)["flags_judged"]["calibration"]["logprob_mean"]["bins"]
    assert [(b["judged"], b["confirmed"]) for b in bins] == [(4, 4), (4, 4), (4, 2), (4, 0), (4, 0)]
    assert bins[0]["low"] == -3.9 and bins[-1]["high"] == -0.1


def test_nothing_judged_yet_says_so(store, project, cli):
    make_tasks(store, 3)
    section = round_report(store, project)["flags_judged"]
    assert section["judged_records"] == 0 and rows_by_label(section)[SPOT_CHECKED]["rate"] is None
    assert "no decided tasks in this round yet" in cli("round", "report").output


def test_the_rounds_page_shows_the_flags_the_experts_confirmed(env, store, project, experts):
    from tests.conftest import run_page

    for number, task_id in enumerate(flagged_tasks(store, 12, {"negative_feedback": 1.0})):
        answer(store, task_id, "corrected" if number < 9 else "acceptable")
    app = run_page("annotate.ui.rounds.rounds_page", "eng@x.test", "engineer")
    assert not app.exception
    assert "Flags judged by experts" in [header.value for header in app.subheader]
    table = app.dataframe[1].value  # after the agreement table
    feedback = table[table["flag reason"] == "negative_feedback"].iloc[0]
    assert (feedback["judged"], feedback["confirmed"], feedback["confirmed share [95% CI]"]) == (12, 9, "75% [47%, 91%]")


def test_flag_precision_of_an_empty_resolution_is_empty(store):
    import pandas as pd

    section = flag_precision(store, pd.DataFrame())
    assert section["judged_records"] == 0 and section["calibration"]["flag_score"]["bins"] == []


def test_every_choice_and_verdict_says_whether_it_confirms_a_problem():
    from annotate.records import CHOICES, VERDICTS
    from annotate.reports.flag_precision import CONFIRMING_VERDICTS, LOSING_CHOICE

    assert tuple(LOSING_CHOICE) == CHOICES and set(CONFIRMING_VERDICTS) < set(VERDICTS)
