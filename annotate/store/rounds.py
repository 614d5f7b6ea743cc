"""Named queries over the `rounds` table. A round is one turn of the loop; exactly one is open."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string, the store's one time format."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RoundQueries:
    db: Any

    def open_round(self) -> dict | None:
        rows = list(self.db.query("SELECT * FROM rounds WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"))
        return rows[0] if rows else None

    def round_by_id(self, round_id: int) -> dict | None:
        rows = list(self.db.query("SELECT * FROM rounds WHERE id = ?", [round_id]))
        return rows[0] if rows else None

    def round_named(self, name: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM rounds WHERE name = :name", {"name": name}))
        return rows[0] if rows else None

    def insert_round_closing_others(self, name: str, model: str | None) -> dict:
        """Close the open round (if any) and open a new one, in one transaction."""
        now = utc_now()
        with self.db.atomic():
            self.db.execute("UPDATE rounds SET ended_at = ? WHERE ended_at IS NULL", [now])
            cursor = self.db.execute(
                "INSERT INTO rounds (name, model, started_at) VALUES (?, ?, ?)", [name, model, now]
            )
            round_id = cursor.lastrowid
        return next(self.db.query("SELECT * FROM rounds WHERE id = ?", [round_id]))

    def next_round_number(self) -> int:
        return next(self.db.query("SELECT COALESCE(MAX(id), 0) + 1 AS n FROM rounds"))["n"]

    def rounds_with_counts(self) -> list[dict]:
        return list(
            self.db.query(
                """
                SELECT rounds.*, COUNT(records.id) AS records
                FROM rounds LEFT JOIN records ON records.round_id = rounds.id
                GROUP BY rounds.id ORDER BY rounds.id
                """
            )
        )
