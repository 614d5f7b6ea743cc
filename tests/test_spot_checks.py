"""`flywheel select --spot-check N`: part of each batch drawn at random from the records nobody
flagged, blind to the experts, so the report measures what flagging misses."""

from __future__ import annotations

import json

import pytest

from annotate.errors import SelectionError
from annotate.flagging import run_flaggers
from annotate.ingest import ingest_files
from annotate.labelstudio.payloads import task_payload
from annotate.project import init_project
from annotate.review.claims import task_view
from annotate.tasks.selection import select_tasks, spot_check_count
from tests.conftest import _texts, record
from tests.test_flag_precision import SPOT_CHECKED, answer, experts, rows_by_label  # noqa: F401 (experts is a fixture)



def _logs(store, write_jsonl, name="logs.jsonl"):
    """20 records with a thumbs-down (flagged) and 30 without feedback (unflagged), no two alike."""
    rows = [record(*_texts(k), id=f"down-{k}", feedback={"thumbs": "down"}) for k in range(20)]
    rows += [record(*_texts(100 + k), id=f"quiet-{k}") for k in range(30)]
    ingest_files(store, [write_jsonl(rows, name)], source="prod")


def _flagged_ids(store):
    return {row["record_id"] for row in store.flags_for([r["id"] for r in store.db.query("SELECT id FROM records")])}


def test_spot_checks_come_from_unflagged_records_and_hide_among_the_batch(store, project, write_jsonl):
    _logs(store, write_jsonl)
    run_flaggers(store, project.config, project.root)
    flagged = _flagged_ids(store)
    assert len(flagged) == 20
    report = select_tasks(store, project.config, budget=10, spot_check=3)
    tasks = [store.task(task_id) for task_id in report.task_ids]
    spot = [task for task in tasks if task.origin == "spot_check"]
    assert (report.spot_checks, report.spot_check_pool, len(spot), len(report.selected)) == (3, 30, 3, 7)
    assert not {task.record_id for task in spot} & flagged, "spot checks are drawn from the unflagged"
    assert all(task.kind == "correction" and not task.is_gold for task in spot)
    batch = {task.priority for task in tasks if task.origin != "spot_check"}
    assert all(task.priority in batch for task in spot), "their priorities are the batch's own, so the queue hides them"
    assert all(task.why == "spot check: drawn at random (seed 0) from 30 unflagged records" for task in spot)
    for task in spot:  # blind: nothing the expert sees, in the app or in Label Studio, says how it was chosen
        view = task_view(store, task.id)
        assert "spot" not in repr(view) and view.flags == []
        payload = task_payload({"id": task.id, "kind": "correction", "messages": view.messages, "response_a": view.response,
                                "response_b": None}, project.config.pii, project.config.flagging.pii_min_score)  # fmt: skip
        assert "spot" not in json.dumps(payload.data)
    again = select_tasks(store, project.config, budget=10, spot_check=3)
    assert not {store.task(t).record_id for t in again.task_ids} & {task.record_id for task in spot}, "never drawn twice"


def test_the_draw_is_seeded_and_reproducible(tmp_path, write_jsonl):
    def drawn(folder, seed):
        project = init_project(tmp_path / folder)
        with project.open_store() as store:
            _logs(store, write_jsonl, f"{folder}.jsonl")
            run_flaggers(store, project.config, project.root)
            report = select_tasks(store, project.config, budget=8, spot_check=4, seed=seed)
            return sorted(store.task(t).record_id for t in report.task_ids if store.task(t).origin == "spot_check")

    first = drawn("first", seed=3)
    assert len(first) == 4
    assert drawn("second", seed=3) == first
    assert drawn("third", seed=4) != first


def test_spot_checks_answered_by_experts_give_the_failure_rate_of_the_unflagged(store, project, write_jsonl, experts, cli):
    _logs(store, write_jsonl)
    run_flaggers(store, project.config, project.root)
    result = cli("select", "--budget", "20", "--spot-check", "25%")
    assert result.exit_code == 0, result.output
    assert "Spot checks: 5 of 5 asked for, drawn at random from 30 unflagged records" in result.output
    spot = [row["id"] for row in store.db.query("SELECT id FROM tasks WHERE origin = 'spot_check' ORDER BY id")]
    assert len(spot) == 5
    for number, task_id in enumerate(spot):
        answer(store, task_id, "corrected" if number < 2 else "acceptable")
    row = rows_by_label(json.loads(cli("round", "report", "--json").output)["flags_judged"])[SPOT_CHECKED]
    assert (row["judged"], row["confirmed"], row["fine"], row["enough_evidence"]) == (5, 2, 3, False)


def test_fewer_unflagged_records_than_asked_leave_the_rest_of_the_budget_to_flagged_ones(store, project, write_jsonl):
    _logs(store, write_jsonl)
    run_flaggers(store, project.config, project.root)
    select_tasks(store, project.config, budget=28, spot_check=28)  # 28 of the 30 unflagged (gold: none imported)
    report = select_tasks(store, project.config, budget=10, spot_check=5)
    assert (report.spot_checks_asked, report.spot_checks, report.spot_check_pool, len(report.selected)) == (5, 2, 2, 8)


@pytest.mark.parametrize("text, budget, count", [("3", 10, 3), ("10%", 50, 5), ("0", 5, 0), (" 12.5% ", 40, 5)])
def test_a_spot_check_is_a_count_or_a_share_of_the_budget(text, budget, count):
    assert spot_check_count(text, budget) == count


@pytest.mark.parametrize("text", ["x", "-1", "150%", "2.5", "%", "nan%", "inf%", "-5%"])
def test_a_spot_check_that_is_neither_is_refused(text):
    with pytest.raises(SelectionError, match="--spot-check"):
        spot_check_count(text, 10)


def test_impossible_spot_checks_are_refused_with_the_reason(store, project, write_jsonl, cli):
    _logs(store, write_jsonl)
    run_flaggers(store, project.config, project.root)
    too_many = cli("select", "--budget", "4", "--spot-check", "5")
    assert too_many.exit_code == 1 and "--spot-check asks for 5 tasks but the budget leaves room for 4" in too_many.output
    pairs = cli("select", "--budget", "4", "--kind", "preference", "--spot-check", "1")
    assert pairs.exit_code == 1 and "spot checks are correction tasks" in pairs.output
    bad = cli("select", "--budget", "4", "--spot-check", "some")
    assert bad.exit_code == 1 and "give a number of tasks (5) or a share of the budget (10%)" in bad.output
    assert store.db["tasks"].count == 0
