"""The `current_answers` table (kept by a trigger) and the column-by-column read behind the answer table."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from annotate.consensus.answer_table import answer_frame
from annotate.review.annotators import add_annotator
from annotate.review.claims import edit_annotation, submit
from annotate.store import Store, answers
from annotate.store.migrations import migrations
from tests.conftest import make_tasks

PEOPLE = ("ann@x.test", "bob@x.test", "cyd@x.test")

# The definition the table stands in for: the last row of each edit chain, dated by its chain's first row.
CHAIN_ENDS = """
    SELECT a.task_id, a.annotator_id, a.id, a.verdict, a.choice, a.corrected_response, a.seconds_spent,
           COALESCE((SELECT first.created_at FROM annotations AS first WHERE first.task_id = a.task_id
                     AND first.annotator_id = a.annotator_id AND first.supersedes IS NULL), a.created_at)
    FROM annotations AS a WHERE NOT EXISTS (SELECT 1 FROM annotations AS newer WHERE newer.supersedes = a.id)
    ORDER BY a.task_id, a.annotator_id
"""
TABLE = """
    SELECT task_id, annotator_id, annotation_id, verdict, choice, corrected_response, seconds_spent, first_created_at
    FROM current_answers ORDER BY task_id, annotator_id
"""


@pytest.fixture
def answered(store):
    """Six correction tasks answered by three people, with two answers edited (one of them twice)."""
    for email in PEOPLE:
        add_annotator(store, email)
    tasks = make_tasks(store, 6, required=3)
    for index, task_id in enumerate(tasks):
        for person, email in enumerate(PEOPLE):
            if (index + person) % 4 == 3:
                continue  # some slots stay empty
            verdict = ("acceptable", "corrected", "unusable")[(index + person) % 3]
            answer = {"kind": "correction", "verdict": verdict, "seconds_spent": 10.0 + index + person}
            if verdict == "corrected":
                answer.update(corrected_response=f"fixed {index} by {person}", failure_categories=["incomplete"], severity="minor")
            elif verdict == "unusable":
                answer["rationale"] = "cannot judge"
            submit(store, task_id, email, answer)
    first = store.db.execute("SELECT id FROM annotations WHERE annotator_id = 1 ORDER BY id LIMIT 1").fetchone()[0]
    edited = edit_annotation(store, first, PEOPLE[0], {"kind": "correction", "verdict": "corrected", "failure_categories": ["incomplete"], "severity": "minor", 
                                                        "corrected_response": "edited once"}).annotation_id  # fmt: skip
    edit_annotation(store, edited, PEOPLE[0], {"kind": "correction", "verdict": "unusable", "rationale": "cannot judge"})
    second = store.db.execute("SELECT id FROM annotations WHERE annotator_id = 2 ORDER BY id LIMIT 1").fetchone()[0]
    edit_annotation(store, second, PEOPLE[1], {"kind": "correction", "verdict": "acceptable", "seconds_spent": 3.5})
    return tasks


def test_the_table_holds_the_end_of_every_edit_chain_dated_by_its_first_submission(store, answered):
    assert store.db.execute(TABLE).fetchall() == store.db.execute(CHAIN_ENDS).fetchall()
    assert store.db.execute("SELECT count(*) FROM annotations WHERE supersedes IS NOT NULL").fetchone()[0] == 3


def test_the_migration_fills_the_table_from_an_older_database(project, tmp_path):
    """A database made before the table existed (annotations and edits already there) gets it filled."""
    with project.open_store() as store:
        for email in PEOPLE:
            add_annotator(store, email)
        (task_id,) = make_tasks(store, 1, required=2)
        first = submit(store, task_id, PEOPLE[0], {"kind": "correction", "verdict": "acceptable"}).annotation_id
        submit(store, task_id, PEOPLE[1], {"kind": "correction", "verdict": "unusable", "rationale": "cannot judge"})
        edit_annotation(store, first, PEOPLE[0], {"kind": "correction", "verdict": "corrected", "corrected_response": "x", "failure_categories": ["incomplete"], "severity": "minor"})
        expected = store.db.execute(CHAIN_ENDS).fetchall()
    with sqlite3.connect(project.db_path) as conn:  # back to the schema before the migration
        conn.executescript("DROP TRIGGER annotations_keep_current; DROP TABLE current_answers;")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'create_current_answers'")
    with Store(project.db_path) as reopened:
        assert reopened.db.execute(TABLE).fetchall() == expected
        ms = reopened.db.execute("SELECT first_created_at, first_created_ms FROM current_answers").fetchall()
        assert all(abs(np.datetime64(at[:23]).astype("datetime64[ms]").astype(np.int64) - value) <= 1 for at, value in ms)
        assert not migrations.pending(reopened.db)  # migrating again is a no-op


def test_reading_in_parts_on_their_own_connections_gives_the_same_table(store, answered, monkeypatch):
    whole = answer_frame(store)
    monkeypatch.setattr(answers, "TASKS_PER_PART", 1)
    monkeypatch.setattr(answers.os, "cpu_count", lambda: 4)
    assert len(store._part_bounds()) == 5  # four parts
    parts = answer_frame(store)
    assert parts.drop(columns="categories").equals(whole.drop(columns="categories"))
    assert parts["categories"].tolist() == whole["categories"].tolist()


def test_a_corrected_text_holding_the_separator_comes_back_whole(store, answered):
    (task_id,) = make_tasks(store, 1)
    text = f"first line{answers.UNIT}second line"
    submit(store, task_id, PEOPLE[2], {"kind": "correction", "verdict": "corrected", "corrected_response": text,
                                        "failure_categories": ["incomplete"], "severity": "minor"})
    frame = answer_frame(store)
    assert text in frame["corrected_response"].tolist()
    assert len(frame) == store.db.execute("SELECT count(*) FROM current_answers").fetchone()[0]


def test_the_answer_table_follows_the_current_answers(store, answered):
    frame = answer_frame(store)
    rows = store.db.execute(CHAIN_ENDS).fetchall()
    assert frame["annotation_id"].tolist() == [row[2] for row in rows]
    assert frame["verdict"].astype(object).where(frame["verdict"].notna(), None).tolist() == [row[3] for row in rows]
    assert frame["main"].astype(object).tolist() == [row[3] for row in rows]
    assert frame["corrected_response"].tolist() == [row[5] if row[3] == "corrected" else None for row in rows]
    seconds = [row[6] for row in rows]
    assert [None if np.isnan(value) else value for value in frame["seconds_spent"]] == seconds
    emails = {person["id"]: person["email"] for person in store.list_annotators()}
    assert frame["email"].astype(str).tolist() == [emails[row[1]] for row in rows]
