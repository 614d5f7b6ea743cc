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

        Runs inside the caller's transaction when there is one.
        """
        return self.db.conn.executemany(_INSERT_NEW, rows).rowcount  # (not total_changes: triggers add to it)

    def record_count(self) -> int:
        return next(self.db.query("SELECT COUNT(*) AS n FROM records"))["n"]
