"""Named queries over `annotator_pauses` and the gold answers they rest on: who is paused from new
tasks, by whom and why, and each annotator's gold tally.

A gold answer is right when its verdict (a correction) or choice (a preference judgment) equals
the gold answer's, as `annotate.consensus.agreement` scores gold accuracy; current answers only
(an edit replaces what it supersedes)."""

from __future__ import annotations

from typing import Any

_RIGHT = """CASE WHEN COALESCE(c.verdict, c.choice) = COALESCE(json_extract(t.gold_answer, '$.verdict'),
                                                          json_extract(t.gold_answer, '$.choice')) THEN 1 ELSE 0 END"""


class PauseQueries:
    db: Any

    def gold_tallies(self, annotator_id: int | None = None) -> dict[int, tuple[int, int]]:
        """{annotator id: (gold answers, right ones)}, counting only answers first submitted after
        the annotator's latest resume (all of them when never resumed); one annotator, or all.
        Walks the gold tasks (`tasks_gold`), each probed for the one annotator's answer."""
        mine = "AND c.annotator_id = :me" if annotator_id is not None else ""
        rows = self.db.query(
            f"""
            SELECT c.annotator_id, COUNT(*) AS n, SUM({_RIGHT}) AS n_right
            FROM tasks AS t INDEXED BY tasks_gold JOIN current_answers AS c ON c.task_id = t.id {mine}
            WHERE t.is_gold = 1
              AND c.first_created_at > COALESCE((SELECT MAX(p.created_at) FROM annotator_pauses AS p
                                                 WHERE p.annotator_id = c.annotator_id AND p.action = 'resumed'), '')
            GROUP BY c.annotator_id
            """,
            {"me": annotator_id},
        )
        return {row["annotator_id"]: (row["n"], row["n_right"]) for row in rows}

    def latest_pauses(self, annotator_id: int | None = None) -> dict[int, dict]:
        """{annotator id: their latest pause row, with `lead_email`}; one annotator, or all who have one."""
        rows = self.db.query(
            """
            SELECT p.*, lead.email AS lead_email FROM annotator_pauses AS p
            LEFT JOIN annotators AS lead ON lead.id = p.lead_id
            WHERE p.id IN (SELECT MAX(id) FROM annotator_pauses WHERE :me IS NULL OR annotator_id = :me GROUP BY annotator_id)
            """,
            {"me": annotator_id},
        )
        return {row["annotator_id"]: row for row in rows}

    def insert_pause(self, row: dict) -> int:
        return self.db.execute(
            """
            INSERT INTO annotator_pauses (annotator_id, action, source, lead_id, reason, n_gold, n_right, low, high, created_at)
            VALUES (:annotator_id, :action, :source, :lead_id, :reason, :n_gold, :n_right, :low, :high, :created_at)
            """,
            row,
        ).lastrowid
