"""Named queries over the `rounds` table. A round is one turn of the loop; exactly one is open."""

from __future__ import annotations

import json
from typing import Any

from annotate.clock import utc_now_text
from annotate.store.records import EVAL_SOURCE


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
        now = utc_now_text()
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
                FROM rounds LEFT JOIN records ON records.round_id = rounds.id AND records.source != ?
                GROUP BY rounds.id ORDER BY rounds.id
                """,
                [EVAL_SOURCE],
            )
        )

    def round_record_count(self, round_id: int) -> int:
        """Production records of the round (evaluation's stored answers left out)."""
        return next(self.db.query("SELECT COUNT(*) AS n FROM records WHERE round_id = ? AND source != ?",
                                  [round_id, EVAL_SOURCE]))["n"]  # fmt: skip

    def round_flag_counts(self, round_id: int) -> dict[str, int]:
        """Records of the round flagged for each reason, and `any` for flagged at all."""
        rows = self.db.query(
            "SELECT flags.reason, COUNT(*) AS n FROM flags JOIN records ON records.id = flags.record_id "
            "WHERE records.round_id = ? GROUP BY flags.reason ORDER BY n DESC", [round_id])  # fmt: skip
        counts = {row["reason"]: row["n"] for row in rows}
        counts["any"] = next(self.db.query(
            "SELECT COUNT(DISTINCT flags.record_id) AS n FROM flags JOIN records ON records.id = flags.record_id "
            "WHERE records.round_id = ?", [round_id]))["n"]  # fmt: skip
        return counts

    def round_task_counts(self, round_id: int) -> list[dict]:
        return list(self.db.query(
            "SELECT kind, status, COUNT(*) AS tasks, SUM(done_annotations) AS answers FROM tasks WHERE round_id = ? "
            "GROUP BY kind, status ORDER BY kind, status", [round_id]))  # fmt: skip

    def round_failure_category_counts(self, round_id: int) -> dict[str, int]:
        """How many current answers to the round's tasks name each failure category, most first
        (ties by name); counted in SQL, not by decoding each answer's list."""
        rows = self.db.conn.execute(
            "SELECT category.value, COUNT(*) AS n FROM current_answers JOIN tasks ON tasks.id = current_answers.task_id, "
            "json_each(current_answers.failure_categories) AS category "
            "WHERE tasks.round_id = ? AND tasks.origin != 'human_eval' GROUP BY category.value ORDER BY n DESC, category.value",
            [round_id],
        )  # fmt: skip
        return dict(rows.fetchall())

    def round_prompts(self, round_id: int, limit: int) -> list[list[dict]]:
        """The conversations (`messages`) of up to `limit` production records of the round, spread evenly."""
        total = self.round_record_count(round_id)
        step = max(1, total // max(1, limit))
        return [json.loads(row["messages"]) for row in self.db.query(
            "SELECT messages FROM (SELECT messages, ROW_NUMBER() OVER (ORDER BY rowid) AS n FROM records "
            "WHERE round_id = ? AND source != ?) WHERE (n - 1) % ? = 0 LIMIT ?", [round_id, EVAL_SOURCE, step, limit])]  # fmt: skip

    def rounds(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM rounds ORDER BY id"))
