"""The change counter: how many writes the review tables have seen (see the `create_change_counter` migration)."""

from __future__ import annotations

from typing import Any


class ChangeQueries:
    db: Any

    def change_count(self) -> int:
        """Rows written to the review tables so far: equal counts mean the same review data."""
        return self.db.execute("SELECT n FROM changes WHERE id = 1").fetchone()[0]
