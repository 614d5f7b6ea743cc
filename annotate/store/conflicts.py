"""Named queries for conflicts: what the export's conflict gate found, and what leads did about it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StoredConflict:
    id: int
    kind: str  # the example kind (sft, dpo, kto:desirable)
    example_ids: tuple[str, ...]
    task_ids: tuple[int, ...]
    detail: str
    found_at: str
    dismissed_by: str | None  # the lead's email
    dismissed_at: str | None
    reason: str | None

    @classmethod
    def from_row(cls, row: dict) -> StoredConflict:
        return cls(row["id"], row["kind"], tuple(json.loads(row["example_ids"])), tuple(json.loads(row["task_ids"])),
                   row["detail"], row["found_at"], row.get("dismissed_email"), row["dismissed_at"], row["reason"])  # fmt: skip


class ConflictQueries:
    db: Any

    def insert_conflicts(self, rows: list[dict]) -> int:
        """Add the conflicts not stored yet (one per kind and example set); returns how many were new."""
        return self.db.conn.executemany(
            """INSERT OR IGNORE INTO conflicts (kind, example_ids, task_ids, detail, found_at)
               VALUES (:kind, :example_ids, :task_ids, :detail, :found_at)""",
            rows,
        ).rowcount

    def conflicts(self, conflict_id: int | None = None) -> list[StoredConflict]:
        """Every conflict (or the one with `conflict_id`), oldest first, with who dismissed it."""
        rows = self.db.query(
            """SELECT c.*, a.email AS dismissed_email FROM conflicts AS c
               LEFT JOIN annotators AS a ON a.id = c.dismissed_by
               WHERE :id IS NULL OR c.id = :id ORDER BY c.id""",
            {"id": conflict_id},
        )
        return [StoredConflict.from_row(row) for row in rows]

    def conflict(self, conflict_id: int) -> StoredConflict | None:
        return next(iter(self.conflicts(conflict_id)), None)

    def dismiss_conflict(self, conflict_id: int, lead_id: int, reason: str, at: str) -> None:
        self.db.execute(
            "UPDATE conflicts SET dismissed_by = ?, dismissed_at = ?, reason = ? WHERE id = ?",
            [lead_id, at, reason, conflict_id],
        )
