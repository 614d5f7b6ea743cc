"""*My work*'s query: the first-submitted time of an edited answer is its chain's first answer, found
through the `annotations_first` index (a scan of the annotator's answers per row took 40 s at
90,000 answers; bench/app.py)."""

from __future__ import annotations

from annotate.review.annotators import add_annotator
from annotate.review.claims import edit_annotation, history, submit
from tests.conftest import EXPERT, make_tasks

ACCEPT = {"kind": "correction", "verdict": "acceptable"}
UNUSABLE = {"kind": "correction", "verdict": "unusable", "failure_categories": [], "rationale": "off topic"}


def test_an_edited_answer_keeps_the_time_it_was_first_submitted(store):
    add_annotator(store, EXPERT)
    first_task, second_task = make_tasks(store, 2)
    submit(store, first_task, EXPERT, ACCEPT)
    (original,) = store.annotations_of(first_task)
    submit(store, second_task, EXPERT, ACCEPT)
    edit_annotation(store, original.id, EXPERT, UNUSABLE)
    entries = {entry.annotation.task_id: entry for entry in history(store, EXPERT)}
    assert entries[first_task].annotation.verdict == "unusable", "the edit is the current answer"
    assert entries[first_task].first_submitted_at == original.created_at
    assert entries[first_task].annotation.created_at > original.created_at


def test_the_first_answer_is_looked_up_by_its_index(store):
    person = add_annotator(store, EXPERT)
    statements = []
    store.conn.set_trace_callback(statements.append)  # the SQL as run, values bound
    try:
        store.annotator_history(person["id"])
    finally:
        store.conn.set_trace_callback(None)
    (query,) = [sql for sql in statements if "first_submitted_at" in sql]
    plan = [row[3] for row in store.conn.execute("EXPLAIN QUERY PLAN " + query)]
    lookups = [step for step in plan if "first" in step.split(" USING")[0]]
    assert lookups and all("annotations_first" in step for step in lookups), plan
