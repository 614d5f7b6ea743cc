"""Named queries over `tasks` (units of expert work) and the candidates they are chosen from."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from annotate.clock import utc_now_text
from annotate.store.records import EVAL_SOURCE
from annotate.store.rows import Annotation, Task

TASK_COLUMNS = (
    "kind", "record_id", "record_b_id", "origin", "priority", "why", "cluster", "required_annotations",
    "is_gold", "gold_answer", "route", "round_id",
)  # fmt: skip


class TaskQueries:
    db: Any

    def correction_candidates(self, round_id: int | None) -> list[dict]:
        """Flagged records with no correction task and no gold answer, with their flags as 'reason=score,...'."""
        return list(
            self.db.query(
                """
                SELECT records.id AS record_id, records.messages, records.round_id,
                       GROUP_CONCAT(flags.reason || '=' || flags.score) AS flags
                FROM flags JOIN records ON records.id = flags.record_id
                WHERE (:round IS NULL OR records.round_id = :round)
                  AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.kind = 'correction' AND tasks.record_id = records.id)
                  AND NOT EXISTS (SELECT 1 FROM gold_answers WHERE gold_answers.record_id = records.id)
                GROUP BY records.id
                """,
                {"round": round_id},
            )
        )

    def unflagged_records(self, round_id: int | None) -> list[str]:
        """Ids of production records with no flag, no correction task and no gold answer, in rowid
        order: the pool a selection's spot checks are drawn from."""
        return [row["id"] for row in self.db.query(
            """
            SELECT records.id FROM records
            WHERE (:round IS NULL OR records.round_id = :round) AND records.source != :eval
              AND NOT EXISTS (SELECT 1 FROM flags WHERE flags.record_id = records.id)
              AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.kind = 'correction' AND tasks.record_id = records.id)
              AND NOT EXISTS (SELECT 1 FROM gold_answers WHERE gold_answers.record_id = records.id)
            ORDER BY records.rowid
            """,
            {"round": round_id, "eval": EVAL_SOURCE},
        )]  # fmt: skip

    def preference_candidates_open(self, round_id: int | None) -> list[dict]:
        """Preference candidates with no task yet, with both records' flags."""
        return list(
            self.db.query(
                """
                SELECT pc.record_id, pc.record_b_id, pc.origin, pc.score, pc.detail, a.messages, a.round_id,
                       (SELECT GROUP_CONCAT(reason || '=' || score) FROM flags WHERE record_id = pc.record_id) AS flags,
                       (SELECT GROUP_CONCAT(reason || '=' || score) FROM flags WHERE record_id = pc.record_b_id) AS flags_b
                FROM preference_candidates AS pc JOIN records AS a ON a.id = pc.record_id
                WHERE (:round IS NULL OR a.round_id = :round)
                  AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.kind = 'preference'
                                  AND ((tasks.record_id = pc.record_id AND tasks.record_b_id = pc.record_b_id)
                                    OR (tasks.record_id = pc.record_b_id AND tasks.record_b_id = pc.record_id)))
                """,
                {"round": round_id},
            )
        )

    def gold_pool(self, kind: str) -> list[dict]:
        """Gold answers of this kind whose record has no open task."""
        return list(
            self.db.query(
                """
                SELECT gold_answers.* FROM gold_answers
                WHERE kind = :kind AND NOT EXISTS (
                    SELECT 1 FROM tasks WHERE tasks.kind = :kind AND tasks.record_id = gold_answers.record_id
                      AND tasks.is_gold = 1 AND tasks.status = 'open')
                ORDER BY record_id
                """,
                {"kind": kind},
            )
        )

    def insert_tasks(self, rows: Sequence[dict]) -> list[int]:
        """Insert tasks (dicts with `TASK_COLUMNS`) in one transaction; return their ids."""
        now = utc_now_text()
        sql = "INSERT INTO tasks ({}, created_at) VALUES ({}, ?)".format(
            ", ".join(TASK_COLUMNS), ", ".join("?" * len(TASK_COLUMNS))
        )
        ids = []
        with self.db.atomic():
            for row in rows:
                ids.append(self.db.execute(sql, [*(row[column] for column in TASK_COLUMNS), now]).lastrowid)
        return ids

    def tasks_showing(self, kind: str, external_id: str, source: str | None, external_b_id: str | None) -> list[int]:
        """Ids of the tasks of `kind` (gold ones too) on the record with this external id (and source,
        when given); for a comparison, whose other record has `external_b_id`, in either order."""
        rows = self.db.query(
            """
            SELECT tasks.id FROM tasks
            JOIN records AS a ON a.id = tasks.record_id
            LEFT JOIN records AS b ON b.id = tasks.record_b_id
            WHERE tasks.kind = :kind
              AND ((a.external_id = :x AND (:source IS NULL OR a.source = :source)
                    AND (:xb IS NULL OR b.external_id = :xb))
                OR (b.external_id = :x AND (:source IS NULL OR b.source = :source) AND a.external_id = :xb))
            ORDER BY tasks.id
            """,
            {"kind": kind, "x": external_id, "source": source, "xb": external_b_id},
        )
        return [row["id"] for row in rows]

    def tasks_with_record_ids(self) -> list[dict]:
        """Every task with its records' source, log ids (`external_id`, `external_b_id`) and answers
        (`response`, `response_b`), by id; `gold_answer` decoded."""
        return [{**row, "gold_answer": json.loads(row["gold_answer"]) if row["gold_answer"] else None} for row in self.db.query(
            """
            SELECT tasks.id, tasks.kind, tasks.priority, tasks.required_annotations, tasks.is_gold, tasks.gold_answer,
                   a.source, a.external_id, b.external_id AS external_b_id, a.response, b.response AS response_b
            FROM tasks JOIN records AS a ON a.id = tasks.record_id LEFT JOIN records AS b ON b.id = tasks.record_b_id
            ORDER BY tasks.id
            """
        )]  # fmt: skip

    def current_annotation(self, task_id: int, annotator_id: int) -> Annotation | None:
        """The annotator's current answer to the task (the end of its edit chain), if any."""
        rows = list(self.db.query(
            "SELECT annotations.* FROM current_answers JOIN annotations ON annotations.id = current_answers.annotation_id "
            "WHERE current_answers.task_id = ? AND current_answers.annotator_id = ?", [task_id, annotator_id]))  # fmt: skip
        return Annotation.from_row(rows[0]) if rows else None

    def tasks_exist(self, origin: str, record_ids: Sequence[str]) -> bool:
        """Whether a task of this origin already shows any of these records (as A or B)."""
        for start in range(0, len(record_ids), 400):
            chunk = list(record_ids[start : start + 400])
            marks = ", ".join("?" * len(chunk))
            rows = self.db.query(f"SELECT 1 FROM tasks WHERE origin = ? AND (record_id IN ({marks}) OR record_b_id IN ({marks})) "
                                 "LIMIT 1", [origin, *chunk, *chunk])  # fmt: skip
            if any(True for _ in rows):
                return True
        return False

    def upsert_gold_answers(self, rows: Sequence[tuple[str, str, str | None, str, str]]) -> int:
        """(record_id, kind, record_b_id, answer_json, source) rows; returns how many were new or changed."""
        now = utc_now_text()
        with self.db.atomic():
            return self.db.conn.executemany(  # rowcount, not total_changes: triggers add to that
                """
                INSERT INTO gold_answers (record_id, kind, record_b_id, answer, source, added_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (kind, record_id) DO UPDATE SET answer = excluded.answer, record_b_id = excluded.record_b_id
                WHERE answer IS NOT excluded.answer OR record_b_id IS NOT excluded.record_b_id
                """,
                [(*row, now) for row in rows],
            ).rowcount

    def task(self, task_id: int) -> Task | None:
        rows = list(self.db.query("SELECT * FROM tasks WHERE id = ?", [task_id]))
        return Task.from_row(rows[0]) if rows else None

    def queue_counts(self, now: str) -> list[dict]:
        """Slots by kind and route: open (free), claimed, overdue (lease expired, not yet returned), done."""
        return list(
            self.db.query(
                """
                SELECT kind, route,
                       COUNT(*) AS tasks,
                       SUM(CASE WHEN status = 'open' THEN required_annotations - done_annotations - active_claims ELSE 0 END) AS open_slots,
                       SUM(active_claims) - COALESCE(SUM(overdue), 0) AS claimed_slots,
                       COALESCE(SUM(overdue), 0) AS overdue_slots,
                       SUM(done_annotations) AS done_slots,
                       SUM(is_gold) AS gold_tasks
                FROM tasks LEFT JOIN (
                    SELECT task_id, COUNT(*) AS overdue FROM claims
                    WHERE outcome = 'active' AND expires_at <= :now GROUP BY task_id
                ) AS late ON late.task_id = tasks.id
                GROUP BY kind, route ORDER BY kind, route
                """,
                {"now": now},
            )
        )

    def top_open_tasks(self, limit: int = 10) -> list[dict]:
        """The head of the app's queue: open tasks by priority, with their conversation (`messages`) and why."""
        return [{**row, "messages": json.loads(row["messages"])} for row in
            self.db.query(
                """
                SELECT tasks.id, tasks.kind, tasks.priority, tasks.why, tasks.required_annotations,
                       tasks.done_annotations, tasks.active_claims, records.messages
                FROM tasks INDEXED BY tasks_queue JOIN records ON records.id = tasks.record_id
                WHERE tasks.status = 'open' AND tasks.route = 'app' AND tasks.is_gold = 0
                ORDER BY tasks.priority DESC, tasks.id LIMIT ?
                """,
                [limit],
            )
        ]  # fmt: skip
