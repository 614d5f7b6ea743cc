"""The store's change counter moves with every write to the review tables, from any connection,
and the agreement dashboard recomputes exactly when it moves."""

from __future__ import annotations

import pytest

import annotate.ui.cached as cached
from annotate.config import IngestLimits
from annotate.flagging import run_flaggers
from annotate.ingest import ingest_files
from annotate.review.annotators import OPERATOR, add_annotator, deactivate, pause
from annotate.review.claims import submit
from annotate.store import Store
from tests.conftest import make_tasks, record, run_page

ANN, BOB, LEA = "ann@x.test", "bob@x.test", "lea@x.test"
ACCEPT = {"kind": "correction", "verdict": "acceptable"}


def test_every_kind_of_review_write_moves_the_count(store):
    seen = [store.change_count()]

    def moved() -> bool:
        seen.append(store.change_count())
        return seen[-1] > seen[-2]

    add_annotator(store, ANN)
    assert moved(), "an annotator added"
    (task,) = make_tasks(store, 1)
    assert moved(), "a task added"
    submit(store, task, ANN, ACCEPT)
    assert moved(), "an answer submitted"
    pause(store, ANN, "too fast", by=OPERATOR)
    assert moved(), "a pause"
    deactivate(store, ANN, by=OPERATOR)
    assert moved(), "a deactivation"
    store.open_round()
    store.db.execute("UPDATE rounds SET name = name || '-renamed'")
    assert moved(), "a round changed"


def test_ingesting_and_flagging_move_the_count(store, project, write_jsonl):
    before = store.change_count()
    rows = [record(id=str(n), prompt=f"question {n}", feedback={"thumbs": "down"}) for n in range(5)]
    ingest_files(store, [write_jsonl(rows)], source="web")
    after_ingest = store.change_count()
    assert after_ingest > before
    run_flaggers(store, project.config, project.root, only=["negative_feedback"])
    assert store.change_count() > after_ingest, "flags were written"


def test_records_count_once_a_batch_by_their_new_rows(store, write_jsonl):
    rows = [record(id=str(n), prompt=f"question {n}") for n in range(7)]
    before = store.change_count()
    ingest_files(store, [write_jsonl(rows)], source="web", limits=IngestLimits(batch_size=3))
    assert store.change_count() - before == 7
    again = store.change_count()
    ingest_files(store, [write_jsonl(rows, name="again.jsonl")], source="web")
    assert store.change_count() == again, "nothing new was stored, so nothing changed"


def test_the_stores_own_counts_leave_out_the_counters_writes(store, write_jsonl):
    rows = [record(id=str(n), prompt=f"question {n}") for n in range(4)]
    first = ingest_files(store, [write_jsonl(rows)], source="web")
    again = ingest_files(store, [write_jsonl(rows + [record(id="9", prompt="new")], name="more.jsonl")], source="web")
    assert (first.files[0].ingested, again.files[0].ingested, again.files[0].present) == (4, 1, 4), (first, again)
    tasks = make_tasks(store, 2)
    ls_project = store.insert_ls_project({"server_url": "http://127.0.0.1:1", "ls_project_id": 1, "kind": "correction",
                                          "round_id": store.open_round()["id"], "title": "t", "label_config_hash": "h",
                                          "created_at": "2026-12-01T00:00:00+00:00"})["id"]  # fmt: skip
    assert store.record_pushed(ls_project, [(tasks[0], 101), (tasks[1], 102)]) == 2
    assert store.record_pushed(ls_project, [(tasks[0], 103), (tasks[1], 104)]) == 0, "a pushed task keeps its first id"


def test_a_write_from_another_connection_is_seen_by_a_new_reader(project, store):
    before = store.change_count()
    with Store(project.db_path) as other:
        add_annotator(other, BOB)
    with Store(project.db_path) as reader:
        assert reader.change_count() > before


@pytest.fixture
def counted(monkeypatch):
    """How many times the dashboard's report is really computed (the real function, counted)."""
    calls = []
    real = cached.agreement_report

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cached, "agreement_report", counting)
    return calls


def test_the_dashboard_reuses_its_figures_until_an_answer_arrives(env, store, counted):
    for email in (ANN, BOB):
        add_annotator(store, email)
    add_annotator(store, LEA, "lead")
    first, second = make_tasks(store, 2, required=2)
    for email in (ANN, BOB):
        submit(store, first, email, ACCEPT)

    page = run_page("annotate.ui.agreement.agreement_page", LEA, role="lead")
    assert "Over **1** tasks" in page.caption[0].value and len(counted) == 1
    page.selectbox(key="agreement-kappa-field").set_value("severity").run()  # a click that changes no data
    page.run()
    assert len(counted) == 1, "reruns with no new data recomputed the report"

    for email in (ANN, BOB):
        submit(store, second, email, ACCEPT)
    page.run()
    assert "Over **2** tasks" in page.caption[0].value, "the new answers are on the dashboard at the next run"
    assert len(counted) == 2


def test_the_rounds_page_shows_new_records_and_flags_at_its_next_run(env, store, project, write_jsonl):
    add_annotator(store, "eng@x.test", "engineer")
    rows = [record(id=str(n), prompt=f"question {n}", feedback={"thumbs": "down"}) for n in range(4)]
    ingest_files(store, [write_jsonl(rows)], source="web")
    page = run_page("annotate.ui.rounds.rounds_page", "eng@x.test", "engineer")
    metrics = {metric.label: metric.value for metric in page.metric}
    assert (metrics["Production records"], metrics["Flagged"]) == ("4", "0%")

    ingest_files(store, [write_jsonl([record(id="9", prompt="one more")], name="more.jsonl")], source="web")
    run_flaggers(store, project.config, project.root, only=["negative_feedback"])
    page.run()
    metrics = {metric.label: metric.value for metric in page.metric}
    assert (metrics["Production records"], metrics["Flagged"]) == ("5", "80%")
