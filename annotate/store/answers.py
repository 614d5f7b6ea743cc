"""Bulk reads of the current answers (the `current_answers` table) and their tasks, column by column.

Agreement, resolution and export read every current answer at once: 450,000 of them for 100,000
tasks with five annotators. SQLite's Python driver builds a tuple per row (about 0.5 us each), so
each column comes back instead as one `group_concat` string that numpy parses: several times
faster. Large reads are split by task id into parts read at once on their own connections
(SQLite releases the GIL while it steps a query); a task's answers always fall in one part, so
each part is consistent in itself, as if its answers had been read a moment apart.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from annotate.records import CHOICES, VERDICTS

VERDICT_CODES = VERDICTS
CHOICE_CODES = CHOICES
ANSWER_CODES = VERDICT_CODES + CHOICE_CODES  # a correction's verdict (0..2) or a judgment's choice (3..6)
# The code of an answer's verdict or choice, in SQL (the words are the fixed ones from records.py, never input).
_ANSWER_CODE_SQL = (
    "CASE COALESCE(verdict, choice) "
    + " ".join(f"WHEN '{word}' THEN {code}" for code, word in enumerate(ANSWER_CODES))
    + " ELSE -1 END"
)
KIND_CODES = ("correction", "preference")
STATUS_CODES = ("open", "done", "cancelled")

# Integer columns as SQL expressions (NULL as -1). Times in milliseconds since the epoch (UTC).
ANSWER_INTEGERS = {
    "annotation_id": "annotation_id",
    "task_id": "task_id",
    "annotator_id": "annotator_id",
    "answer": _ANSWER_CODE_SQL,
    "seconds_ms": "IFNULL(CAST(ROUND(seconds_spent * 1000) AS INTEGER), -1)",
    "created_ms": "first_created_ms",
}
ANSWER_TEXTS = {  # '' for none
    "severity": "IFNULL(severity, '')",
    "failure_categories": "failure_categories",
    "corrected_response": "CASE WHEN verdict = 'corrected' THEN IFNULL(corrected_response, '') ELSE '' END",
}
TASK_INTEGERS = {
    "task_id": "id",
    "kind": "CASE kind WHEN 'correction' THEN 0 ELSE 1 END",
    "required_annotations": "required_annotations",
    "is_gold": "is_gold",
    "round_id": "round_id",
    "task_status": "CASE status WHEN 'open' THEN 0 WHEN 'done' THEN 1 ELSE 2 END",
}
UNIT = "\x1f"  # separates text values in one aggregate (the ASCII unit separator)
TASKS_PER_PART = 20_000  # task ids spanned: below this a read is one query; above, up to one part per core
MAX_PARTS = 4


@dataclass(frozen=True)
class AnswerScope:
    """Which current answers to read: a round id, a task kind, first submissions in [since, until)."""

    round_id: int | None = None
    kind: str | None = None
    since: str | None = None
    until: str | None = None

    def where(self, task_id: str) -> str:
        """Conditions on `task_id` (a column naming the task): its part's id range, round and kind (fixed SQL)."""
        clauses = [f"{task_id} >= :low AND {task_id} < :high"]
        if self.round_id is not None or self.kind is not None:
            clauses.append(f"{task_id} IN (SELECT id FROM tasks WHERE (:round IS NULL OR round_id = :round) "
                           "AND (:kind IS NULL OR kind = :kind))")  # fmt: skip
        return " AND ".join(clauses)

    def first_submitted(self) -> str:
        """Conditions on `first_created_at` for `since` / `until` (fixed SQL; '' without them)."""
        return (" AND first_created_at >= :since" if self.since else "") + (" AND first_created_at < :until" if self.until else "")

    def params(self, low: int, high: int) -> dict[str, Any]:
        return {"round": self.round_id, "kind": self.kind, "since": self.since, "until": self.until,
                "low": low, "high": high}  # fmt: skip


class AnswerQueries:
    db: Any
    path: Path

    def current_choices(self, task_ids: Sequence[int]) -> dict[int, list[str]]:
        """Each task's current preference choices (one per annotator who answered it)."""
        found: dict[int, list[str]] = {}
        for start in range(0, len(task_ids), 500):
            chunk = list(task_ids[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            for row in self.db.query(
                f"SELECT task_id, choice FROM current_answers WHERE choice IS NOT NULL AND task_id IN ({marks}) "
                "ORDER BY task_id, annotator_id", chunk
            ):  # fmt: skip
                found.setdefault(row["task_id"], []).append(row["choice"])
        return found

    def current_answer_columns(self, scope: AnswerScope = AnswerScope()) -> tuple[dict[str, Any], dict[str, Any]]:
        """(answers, tasks), column by column. Answers: every annotator's current answer (the last
        of its edit chain) in `scope`, ordered by task then annotator, as the numpy arrays of
        `ANSWER_INTEGERS` (`answer` indexes `ANSWER_CODES`, -1 for none) and the text lists of
        `ANSWER_TEXTS`. Tasks: those answers' tasks, ordered by id, as the arrays of
        `TASK_INTEGERS` (codes index `KIND_CODES` and `STATUS_CODES`) and `gold_answers`
        ({task id: answer JSON} of the gold items)."""
        bounds = self._part_bounds()
        if len(bounds) == 2 or self.db.conn.in_transaction:  # other connections would not see what it has not committed
            parts = [_read_part_in_one_snapshot(self.db.conn, scope, bounds[0], bounds[-1])]
        else:
            with ThreadPoolExecutor(len(bounds) - 1) as pool:
                parts = list(pool.map(lambda low, high: self._read_part_apart(scope, low, high), bounds[:-1], bounds[1:]))
        return _joined([answers for answers, _ in parts]), _joined([tasks for _, tasks in parts])

    def _part_bounds(self) -> list[int]:
        """Task ids that cut the current answers into parts of about equal id ranges: [low, ..., high).
        (Ids, not answer counts: min and max come straight from the key, a count scans the table.)"""
        (low,) = self.db.execute("SELECT min(task_id) FROM current_answers").fetchone()  # one each: SQLite reads a
        (high,) = self.db.execute("SELECT max(task_id) FROM current_answers").fetchone()  # lone min or max off the key
        if low is None:
            return [0, 1]
        parts = min(MAX_PARTS, os.cpu_count() or 1, max(1, (high - low + 1) // TASKS_PER_PART))
        cuts = sorted({low + (high + 1 - low) * part // parts for part in range(parts)})
        return [*cuts, high + 1]

    def _read_part_apart(self, scope: AnswerScope, low: int, high: int) -> tuple[dict, dict]:
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            connection.execute("PRAGMA query_only = ON")
            return _read_part_in_one_snapshot(connection, scope, low, high)
        finally:
            connection.close()


def _read_part_in_one_snapshot(connection: sqlite3.Connection, scope: AnswerScope, low: int, high: int) -> tuple[dict, dict]:
    """`_read_part` inside one read transaction (the caller's, when one is open)."""
    if connection.in_transaction:
        return _read_part(connection, scope, low, high)
    connection.execute("BEGIN")
    try:
        return _read_part(connection, scope, low, high)
    finally:
        connection.commit()


def _read_part(connection: sqlite3.Connection, scope: AnswerScope, low: int, high: int) -> tuple[dict, dict]:
    """The answers and tasks of the task ids in [low, high)."""
    params = scope.params(low, high)
    where = scope.where("task_id") + scope.first_submitted()
    sql = _aggregate(ANSWER_INTEGERS, ANSWER_TEXTS) + " FROM current_answers WHERE " + where
    row = connection.execute(sql, params).fetchone()
    count = row[-1]
    answers: dict[str, Any] = {name: _integers(text, count) for name, text in zip(ANSWER_INTEGERS, row)}
    for name, text in zip(ANSWER_TEXTS, row[len(ANSWER_INTEGERS) : -1]):
        answers[name] = text.split(UNIT) if count else []
        if len(answers[name]) != count:  # a text holding the separator itself: that column row by row
            query = f"SELECT {ANSWER_TEXTS[name]} FROM current_answers WHERE {where}"
            answers[name] = [value for (value,) in connection.execute(query, params)]
    row = connection.execute(_aggregate(TASK_INTEGERS) + " FROM tasks WHERE " + scope.where("id"), params).fetchone()
    in_range: dict[str, Any] = {name: _integers(text, row[-1]) for name, text in zip(TASK_INTEGERS, row)}
    answered = np.isin(in_range["task_id"], answers["task_id"])  # cheaper than EXISTS per task in SQL
    tasks: dict[str, Any] = {name: values[answered] for name, values in in_range.items()}
    gold = connection.execute(f"SELECT id, gold_answer FROM tasks WHERE is_gold = 1 AND {scope.where('id')}", params)
    kept = set(tasks["task_id"].tolist())
    tasks["gold_answers"] = {task_id: answer for task_id, answer in gold.fetchall() if task_id in kept}
    return answers, tasks


def _aggregate(integers: dict[str, str], texts: dict[str, str] | None = None) -> str:
    """One row holding each column as one string (one scan, so the columns share its order), and the count."""
    parts = [f"group_concat({expression}, ',')" for expression in integers.values()]
    parts += [f"group_concat({expression}, char(31))" for expression in (texts or {}).values()]
    return "SELECT " + ", ".join(parts) + ", count(*)"


def _integers(text: str | None, count: int) -> np.ndarray:
    return np.fromstring(text, dtype=np.int64, sep=",") if count else np.empty(0, dtype=np.int64)


def _joined(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Part columns end to end (parts are in task order)."""
    if len(parts) == 1:
        return parts[0]
    joined: dict[str, Any] = {}
    for name, first in parts[0].items():
        if isinstance(first, np.ndarray):
            joined[name] = np.concatenate([part[name] for part in parts])
        elif isinstance(first, dict):
            joined[name] = {key: value for part in parts for key, value in part[name].items()}
        else:
            joined[name] = [value for part in parts for value in part[name]]
    return joined
