"""Named queries over the `ingests` table: one row per input file per `flywheel ingest` run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotate.clock import utc_now_text


class IngestQueries:
    db: Any

    def start_ingest(self, *, round_id: int, source: str, path: str, fmt: str, host: str | None = None,
                     pid: int | None = None) -> int:  # fmt: skip
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT INTO ingests (round_id, source, path, format, started_at, host, pid) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [round_id, source, path, fmt, utc_now_text(), host, pid],
            )
        return cursor.lastrowid

    def running_ingests(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM ingests WHERE status = 'running' ORDER BY id"))

    def mark_ingest_interrupted(self, ingest_id: int, note: str) -> None:
        """A run whose process died: failed, with what happened (only while it still reads running)."""
        with self.db.atomic():
            self.db.execute("UPDATE ingests SET status = 'failed', finished_at = ?, note = ? WHERE id = ? AND status = 'running'",
                            [utc_now_text(), note, ingest_id])  # fmt: skip

    def commit_ingest_batch(
        self, ingest_id: int, rows: Sequence[Sequence[Any]], *, n_read: int, n_rejected: int, rejects_path: str | None
    ) -> int:
        """Insert a batch of records and the ingest's progress in one transaction; return new rows."""
        with self.db.atomic():
            inserted = self.insert_new_records(rows)
            self.db.execute(
                """
                UPDATE ingests SET n_read = n_read + :read, n_ingested = n_ingested + :ingested,
                    n_present = n_present + :present, n_rejected = n_rejected + :rejected,
                    rejects_path = COALESCE(:rejects, rejects_path)
                WHERE id = :id
                """,
                {
                    "read": n_read,
                    "ingested": inserted,
                    "present": len(rows) - inserted,
                    "rejected": n_rejected,
                    "rejects": rejects_path,
                    "id": ingest_id,
                },
            )
        return inserted

    def finish_ingest(self, ingest_id: int, status: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "UPDATE ingests SET status = ?, finished_at = ? WHERE id = ?", [status, utc_now_text(), ingest_id]
            )

    def ingest(self, ingest_id: int) -> dict:
        return next(self.db.query("SELECT * FROM ingests WHERE id = ?", [ingest_id]))

    def recent_ingests(self, limit: int = 20) -> list[dict]:
        return list(self.db.query("SELECT * FROM ingests ORDER BY id DESC LIMIT ?", [limit]))
