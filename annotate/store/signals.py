"""Named queries over `signals`: confidence statistics a local model computed for a record's response."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotate.clock import utc_now_text


class SignalQueries:
    db: Any

    def records_to_score(self, scorer: str, *, after_rowid: int = 0, limit: int = 256) -> list[dict]:
        """Records (rowid, id, messages, response) with no signals from `scorer`, in rowid order."""
        return list(
            self.db.query(
                """
                SELECT records.rowid AS rowid, records.id, records.messages, records.response
                FROM records
                WHERE records.rowid > :after
                  AND NOT EXISTS (SELECT 1 FROM signals WHERE signals.record_id = records.id AND signals.scorer = :scorer)
                ORDER BY records.rowid LIMIT :limit
                """,
                {"after": after_rowid, "scorer": scorer, "limit": limit},
            )
        )

    def count_records_to_score(self, scorer: str) -> int:
        return next(
            self.db.query(
                "SELECT COUNT(*) AS n FROM records WHERE NOT EXISTS "
                "(SELECT 1 FROM signals WHERE signals.record_id = records.id AND signals.scorer = ?)",
                [scorer],
            )
        )["n"]

    def save_signals(self, scorer: str, rows: Sequence[tuple[str, float, float, float, int]]) -> None:
        """Store (record_id, logprob_mean, logprob_min, entropy_mean, n_tokens) rows in one transaction."""
        now = utc_now_text()
        with self.db.atomic():
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO signals (record_id, scorer, logprob_mean, logprob_min, entropy_mean, n_tokens, scored_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(record_id, scorer, mean, low, entropy, n, now) for record_id, mean, low, entropy, n in rows],
            )

    def signals_by(self, scorer: str) -> list[dict]:
        """Every signal row of `scorer`, with the scored record's messages and response, in record order."""
        return list(
            self.db.query(
                """
                SELECT signals.*, records.messages, records.response
                FROM signals JOIN records ON records.id = signals.record_id
                WHERE signals.scorer = ?
                ORDER BY records.rowid
                """,
                [scorer],
            )
        )

    def logprob_means(self, record_ids: Sequence[str]) -> dict[str, float]:
        """Each record's mean token logprob: the log's own when it has one, else the newest scorer's
        (records with neither are left out)."""
        found: dict[str, float] = {}
        for start in range(0, len(record_ids), 500):
            chunk = list(record_ids[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            for row in self.db.query(
                f"""
                SELECT records.id, COALESCE(records.logprob_mean, (
                    SELECT s.logprob_mean FROM signals AS s WHERE s.record_id = records.id
                    ORDER BY s.scored_at DESC LIMIT 1)) AS mean
                FROM records WHERE records.id IN ({marks})
                """,
                chunk,
            ):
                if row["mean"] is not None:
                    found[row["id"]] = row["mean"]
        return found
