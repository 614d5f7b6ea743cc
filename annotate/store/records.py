"""Named queries over the `records` table: production interactions, one row each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# The source of the answers `flywheel eval --human-eval` stores for experts to compare: records like any
# other, so the review pages show them, but never flagged, paired or exported as training data.
EVAL_SOURCE = "flywheel-eval"

RECORD_COLUMNS = (
    "id",
    "source",
    "external_id",
    "messages",
    "response",
    "model_name",
    "model_version",
    "created_at",
    "feedback_thumbs",
    "feedback_rating",
    "feedback_comment",
    "logprob_mean",
    "logprob_min",
    "group_id",
    "metadata",
    "round_id",
    "ingest_id",
    "tool_calls",
    "refusal",
    "tools",
    "reasoning",
    "token_logprobs",
    "trace_id",
    "span_id",
)

_INSERT_NEW = "INSERT OR IGNORE INTO records ({}) VALUES ({})".format(
    ", ".join(RECORD_COLUMNS), ", ".join("?" * len(RECORD_COLUMNS))
)


class RecordQueries:
    db: Any

    def insert_new_records(self, rows: Sequence[Sequence[Any]]) -> int:
        """Insert rows (tuples in `RECORD_COLUMNS` order) whose id is new; return how many were.

        Runs inside the caller's transaction, which must be open (`atomic`, `transaction`), and
        counts the new rows in `changes.n` there (records have no counting trigger).
        """
        inserted = self.db.conn.executemany(_INSERT_NEW, rows).rowcount  # (not total_changes: triggers add to it)
        if inserted:
            self.db.execute("UPDATE changes SET n = n + ? WHERE id = 1", [inserted])
        return inserted

    def record_count(self) -> int:
        return next(self.db.query("SELECT COUNT(*) AS n FROM records"))["n"]

    def other_answers(self, record_id: str, labels: Sequence[str], limit: int = 12) -> list[dict]:
        """Other production answers to the question `record_id` answers, oldest first (id,
        external_id, messages as JSON text, response): its paraphrase group's from the same model
        when the log named a group, else the records of its round named by `labels` (an external id,
        or the first 10 characters of an id: how the inconsistency flag names a record)."""
        params = {"id": record_id, "limit": limit, "eval": EVAL_SOURCE}
        columns = "others.id, others.external_id, others.messages, others.response"
        same_group = f"""
            SELECT {columns} FROM records AS this JOIN records AS others ON others.group_id = this.group_id
            WHERE this.id = :id AND this.group_id IS NOT NULL AND others.id != this.id AND others.source != :eval
              AND others.model_name IS this.model_name AND others.model_version IS this.model_version
            ORDER BY others.rowid LIMIT :limit"""
        rows = list(self.db.query(same_group, params))
        if rows or not labels:
            return rows
        named = {f"label{index}": label for index, label in enumerate(labels)}
        marks = ", ".join(f":{name}" for name in named)
        by_label = f"""
            SELECT {columns} FROM records AS this JOIN records AS others ON others.round_id = this.round_id
            WHERE this.id = :id AND others.id != this.id AND others.source != :eval
              AND (others.external_id IN ({marks}) OR substr(others.id, 1, 10) IN ({marks}))
            ORDER BY others.rowid LIMIT :limit"""
        return list(self.db.query(by_label, {**params, **named}))
