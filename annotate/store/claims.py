"""Named queries over `claims` and `annotations`: who holds which task slot, and what they answered.

Callers run these inside `Store.immediate()`; the task's `active_claims` and
`done_annotations` counters move in the same transaction as the rows they count.
"""

from __future__ import annotations

import json
from typing import Any

from annotate.store.rows import Annotation, HistoryEntry

_JSON_COLUMNS = ("tools", "tool_calls")  # records columns holding JSON text, or NULL when the record kept none


class ClaimQueries:
    db: Any

    def expire_claims(self, now: str) -> int:
        """Return overdue leases to the queue; how many were expired."""
        overdue = list(self.db.query("SELECT id, task_id FROM claims WHERE outcome = 'active' AND expires_at <= ?", [now]))
        for claim in overdue:
            self.db.execute("UPDATE claims SET outcome = 'expired', ended_at = ? WHERE id = ?", [now, claim["id"]])
            self.db.execute("UPDATE tasks SET active_claims = active_claims - 1 WHERE id = ?", [claim["task_id"]])
        return len(overdue)

    def active_claim(self, annotator_id: int, *, task_id: int | None = None, kind: str | None = None,
                     route: str | None = None) -> dict | None:  # fmt: skip
        rows = list(
            self.db.query(
                """
                SELECT claims.* FROM claims INDEXED BY claims_active_by_annotator JOIN tasks ON tasks.id = claims.task_id
                WHERE claims.annotator_id = :me AND claims.outcome = 'active'
                  AND (:task IS NULL OR claims.task_id = :task) AND (:kind IS NULL OR tasks.kind = :kind)
                  AND (:route IS NULL OR tasks.route = :route)
                ORDER BY claims.id LIMIT 1
                """,
                {"me": annotator_id, "task": task_id, "kind": kind, "route": route},
            )
        )
        return rows[0] if rows else None

    def best_open_task(self, annotator_id: int, *, kind: str | None, route: str) -> int | None:
        """The highest-priority task with a free slot this annotator has not answered, held or skipped."""
        rows = list(
            self.db.query(
                """
                SELECT id FROM tasks INDEXED BY tasks_queue
                WHERE status = 'open' AND route = :route AND (:kind IS NULL OR kind = :kind)
                  AND done_annotations + active_claims < required_annotations
                  AND NOT EXISTS (SELECT 1 FROM annotations WHERE annotations.task_id = tasks.id
                                  AND annotations.annotator_id = :me AND annotations.supersedes IS NULL)
                  AND NOT EXISTS (SELECT 1 FROM claims WHERE claims.annotator_id = :me AND claims.task_id = tasks.id
                                  AND claims.outcome IN ('active', 'skipped'))
                ORDER BY priority DESC, id LIMIT 1
                """,
                {"me": annotator_id, "kind": kind, "route": route},
            )
        )
        return rows[0]["id"] if rows else None

    def insert_claim(self, task_id: int, annotator_id: int, now: str, expires_at: str) -> int:
        cursor = self.db.execute(
            "INSERT INTO claims (task_id, annotator_id, claimed_at, expires_at) VALUES (?, ?, ?, ?)",
            [task_id, annotator_id, now, expires_at],
        )
        self.db.execute("UPDATE tasks SET active_claims = active_claims + 1 WHERE id = ?", [task_id])
        return cursor.lastrowid

    def extend_claim(self, claim_id: int, expires_at: str) -> None:
        self.db.execute("UPDATE claims SET expires_at = ? WHERE id = ?", [expires_at, claim_id])

    def end_claim(self, claim: dict, outcome: str, now: str, reason: str | None = None) -> None:
        """Close an active claim (submitted or skipped) and give its slot back to the task's count."""
        self.db.execute(
            "UPDATE claims SET outcome = ?, ended_at = ?, reason = ? WHERE id = ? AND outcome = 'active'",
            [outcome, now, reason, claim["id"]],
        )
        self.db.execute("UPDATE tasks SET active_claims = active_claims - 1 WHERE id = ?", [claim["task_id"]])

    def has_skipped(self, task_id: int, annotator_id: int) -> bool:
        rows = self.db.query("SELECT 1 FROM claims WHERE task_id = ? AND annotator_id = ? AND outcome = 'skipped' LIMIT 1",
                             [task_id, annotator_id])  # fmt: skip
        return any(True for _ in rows)

    def insert_skip(self, task_id: int, annotator_id: int, now: str, reason: str) -> None:
        """A skip made elsewhere (in Label Studio): an already-ended claim, so the slot count is untouched."""
        self.db.execute(
            """
            INSERT INTO claims (task_id, annotator_id, claimed_at, expires_at, outcome, ended_at, reason)
            VALUES (?, ?, ?, ?, 'skipped', ?, ?)
            """,
            [task_id, annotator_id, now, now, now, reason],
        )

    def first_annotation(self, task_id: int, annotator_id: int) -> Annotation | None:
        rows = list(
            self.db.query(
                "SELECT * FROM annotations WHERE task_id = ? AND annotator_id = ? AND supersedes IS NULL",
                [task_id, annotator_id],
            )
        )
        return Annotation.from_row(rows[0]) if rows else None

    def insert_annotation(self, row: dict) -> int:
        columns = ", ".join(row)
        marks = ", ".join(f":{column}" for column in row)
        return self.db.execute(f"INSERT INTO annotations ({columns}) VALUES ({marks})", row).lastrowid

    def count_done(self, task_id: int) -> None:
        """One more annotation on the task; it is done when its overlap is met."""
        self.db.execute(
            """
            UPDATE tasks SET done_annotations = done_annotations + 1,
                status = CASE WHEN done_annotations + 1 >= required_annotations THEN 'done' ELSE status END
            WHERE id = ?
            """,
            [task_id],
        )

    def records_by_id(self, record_ids: list[str]) -> dict[str, dict]:
        """The records' rows by id, their `messages`, `tools` and `tool_calls` decoded (None when not kept)."""
        marks = ", ".join("?" * len(record_ids))
        rows = self.db.query(f"SELECT * FROM records WHERE id IN ({marks})", record_ids)
        return {row["id"]: {**row, **{name: json.loads(row[name]) if row.get(name) else None for name in _JSON_COLUMNS},
                            "messages": json.loads(row["messages"])} for row in rows}  # fmt: skip

    def annotations_of(self, task_id: int) -> list[Annotation]:
        return [Annotation.from_row(row) for row in self.db.query("SELECT * FROM annotations WHERE task_id = ? ORDER BY id", [task_id])]

    def annotation(self, annotation_id: int) -> Annotation | None:
        rows = list(self.db.query("SELECT * FROM annotations WHERE id = ?", [annotation_id]))
        return Annotation.from_row(rows[0]) if rows else None

    def latest_in_chain(self, annotation_id: int) -> Annotation:
        """The newest annotation that (transitively) supersedes this one, or itself."""
        current = self.annotation(annotation_id)
        while True:
            newer = list(self.db.query("SELECT * FROM annotations WHERE supersedes = ?", [current.id]))
            if not newer:
                return current
            current = Annotation.from_row(newer[0])

    def annotator_history(self, annotator_id: int, limit: int = 200) -> list[HistoryEntry]:
        """The annotator's current annotations (edits replace what they supersede), newest first,
        with the task's kind, prompt and response(s)."""
        return [HistoryEntry.from_row(row) for row in
            self.db.query(
                """
                SELECT a.*, t.kind AS task_kind, r.messages, r.response AS response_a, rb.response AS response_b,
                       (SELECT first.created_at FROM annotations AS first  -- the chain's first answer (annotations_first)
                        WHERE first.task_id = a.task_id AND first.annotator_id = a.annotator_id
                          AND first.supersedes IS NULL) AS first_submitted_at
                FROM annotations AS a
                JOIN tasks AS t ON t.id = a.task_id
                JOIN records AS r ON r.id = t.record_id
                LEFT JOIN records AS rb ON rb.id = t.record_b_id
                WHERE a.annotator_id = :me
                  AND NOT EXISTS (SELECT 1 FROM annotations AS newer WHERE newer.supersedes = a.id)
                ORDER BY a.created_at DESC, a.id DESC LIMIT :limit
                """,
                {"me": annotator_id, "limit": limit},
            )
        ]  # fmt: skip

    def annotations_since(self, annotator_id: int, since: str, *, source: str = "app") -> int:
        """First answers (not edits) the annotator made through `source` since `since`: imported
        answers and Label Studio pulls are stamped with the time they arrived, not when they were made."""
        return next(
            self.db.query(
                """SELECT COUNT(*) AS n FROM annotations
                   WHERE annotator_id = ? AND created_at >= ? AND supersedes IS NULL AND source = ?""",
                [annotator_id, since, source],
            )
        )["n"]

    def recent_app_answers(self, annotator_id: int, limit: int) -> list[dict]:
        """The annotator's latest first answers made in the app, newest first: kind, verdict,
        seconds_spent, and flag_reasons (the reasons their task's records are flagged for, joined
        by commas; None when unflagged)."""
        return list(
            self.db.query(
                """
                SELECT a.kind, a.verdict, a.seconds_spent,
                       (SELECT group_concat(DISTINCT f.reason) FROM flags AS f
                        WHERE f.record_id IN (t.record_id, t.record_b_id)) AS flag_reasons
                FROM annotations AS a JOIN tasks AS t ON t.id = a.task_id
                WHERE a.annotator_id = :me AND a.supersedes IS NULL AND a.source = 'app'
                ORDER BY a.id DESC LIMIT :limit
                """,
                {"me": annotator_id, "limit": limit},
            )
        )

    def open_tasks(self, *, kind: str | None, route: str, cap: int) -> int:
        """Open tasks in the queue, counted up to `cap` (a page shows "1,000+" rather than scan them all)."""
        return next(
            self.db.query(
                """
                SELECT COUNT(*) AS n FROM (
                    SELECT 1 FROM tasks INDEXED BY tasks_queue
                    WHERE status = 'open' AND route = :route AND (:kind IS NULL OR kind = :kind) LIMIT :cap)
                """,
                {"kind": kind, "route": route, "cap": cap},
            )
        )["n"]

    def return_claims_of(self, annotator_id: int, now: str, reason: str) -> int:
        """End every active claim the annotator holds, giving the slots back to the queue."""
        claims = list(self.db.query("SELECT * FROM claims WHERE annotator_id = ? AND outcome = 'active'", [annotator_id]))
        for claim in claims:
            self.db.execute("UPDATE claims SET outcome = 'expired', ended_at = ?, reason = ? WHERE id = ?", [now, reason, claim["id"]])
            self.db.execute("UPDATE tasks SET active_claims = active_claims - 1 WHERE id = ?", [claim["task_id"]])
        return len(claims)

    def round_work(self, annotator_id: int, *, round_id: int | None, kind: str | None, route: str) -> dict[str, int]:
        """This annotator's part of a round (every round when `round_id` is None): `done`, the tasks
        they answered; `open`, the open tasks still theirs to do (one they hold, or one with a free
        slot they have neither answered nor skipped).

        Counted as (open tasks with a free slot) - (those this annotator answered or skipped) +
        (those they hold the last slot of): one plain pass over the tasks table (at 100,000 open
        tasks about 10 times faster than walking the `tasks_queue` index, which looks each row up),
        then the annotator's own few rows (CROSS JOIN: from them to the tasks, never the other way).
        """
        scope = "t.route = :route AND (:kind IS NULL OR t.kind = :kind) AND (:round IS NULL OR t.round_id = :round)"
        free = "t.done_annotations + t.active_claims < t.required_annotations"
        return next(
            self.db.query(
                f"""
                SELECT
                  (SELECT COUNT(*) FROM annotations AS a JOIN tasks AS t ON t.id = a.task_id
                   WHERE a.annotator_id = :me AND a.supersedes IS NULL AND {scope}) AS done,
                  (SELECT COUNT(*) FROM tasks AS t NOT INDEXED WHERE t.status = 'open' AND {scope} AND {free})
                  - (SELECT COUNT(*) FROM (SELECT task_id FROM annotations WHERE annotator_id = :me AND supersedes IS NULL
                                           UNION SELECT task_id FROM claims WHERE annotator_id = :me AND outcome = 'skipped')
                       AS mine CROSS JOIN tasks AS t ON t.id = mine.task_id
                     WHERE t.status = 'open' AND {scope} AND {free})
                  + (SELECT COUNT(*) FROM claims AS c CROSS JOIN tasks AS t ON t.id = c.task_id
                     WHERE c.annotator_id = :me AND c.outcome = 'active' AND t.status = 'open' AND {scope}
                       AND NOT ({free})) AS open
                """,  # scope and free are constants of this method; every value is a parameter
                {"me": annotator_id, "round": round_id, "kind": kind, "route": route},
            )
        )
