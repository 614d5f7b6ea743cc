"""Named queries for adjudication: leads' decisions and the answers they rest on."""

from __future__ import annotations

import json
from typing import Any

from annotate.store.rows import Adjudication, Annotation, Task, TaskSubject


class AgreementQueries:
    db: Any

    def latest_adjudications(self, task_ids: list[int] | None = None) -> dict[int, Adjudication]:
        """Each task's standing decision (the newest), by task id."""
        rows = self.db.query(
            """
            SELECT adj.*, p.email AS lead_email FROM adjudications AS adj JOIN annotators AS p ON p.id = adj.lead_id
            WHERE NOT EXISTS (SELECT 1 FROM adjudications AS newer WHERE newer.supersedes = adj.id)
            """
        )
        wanted = set(task_ids) if task_ids is not None else None
        return {row["task_id"]: Adjudication.from_row(row) for row in rows if wanted is None or row["task_id"] in wanted}

    def insert_adjudication(self, row: dict) -> int:
        columns = ", ".join(row)
        marks = ", ".join(f":{column}" for column in row)
        return self.db.execute(f"INSERT INTO adjudications ({columns}) VALUES ({marks})", row).lastrowid

    def adjudication_history(self, task_id: int) -> list[Adjudication]:
        return [Adjudication.from_row(row) for row in
            self.db.query(
                """
                SELECT adj.*, p.email AS lead_email FROM adjudications AS adj JOIN annotators AS p ON p.id = adj.lead_id
                WHERE adj.task_id = ? ORDER BY adj.id
                """,
                [task_id],
            )
        ]  # fmt: skip

    def task_answers(self, task_id: int) -> list[Annotation]:
        """The current answers to one task, with who wrote them (for the adjudication workspace)."""
        return [Annotation.from_row(row) for row in
            self.db.query(
                """
                SELECT a.*, p.email, p.name FROM annotations AS a JOIN annotators AS p ON p.id = a.annotator_id
                WHERE a.task_id = ? AND NOT EXISTS (SELECT 1 FROM annotations AS newer WHERE newer.supersedes = a.id)
                ORDER BY a.id
                """,
                [task_id],
            )
        ]  # fmt: skip

    def task_prompts(self, task_ids: list[int]) -> dict[int, str]:
        """Each task's last user message (what the expert was answering), by task id."""
        prompts = {}
        for start in range(0, len(task_ids), 500):
            chunk = task_ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self.db.query(
                f"SELECT tasks.id, records.messages FROM tasks JOIN records ON records.id = tasks.record_id WHERE tasks.id IN ({marks})",
                chunk,
            ):
                messages = json.loads(row["messages"])
                users = [message.get("content") or "" for message in messages if message.get("role") == "user"]
                prompts[row["id"]] = users[-1] if users else ""
        return prompts

    def tasks_by_id(self, task_ids: list[int]) -> dict[int, Task]:
        return {task_id: Task.from_row(row) for task_id, row in self._rows_by_id("tasks", task_ids).items()}

    def task_subjects(self, task_ids: list[int]) -> dict[int, TaskSubject]:
        """What each task asked about (kind, origin, gold or not, its records), by task id: the few
        columns a report over every task needs, without building whole `Task`s."""
        found = {}
        for start in range(0, len(task_ids), 900):
            chunk = task_ids[start : start + 900]
            rows = self.db.conn.execute(
                f"SELECT id, kind, origin, is_gold, record_id, record_b_id FROM tasks WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )  # fmt: skip
            for task_id, kind, origin, is_gold, record_id, record_b_id in rows:
                found[task_id] = TaskSubject(kind, origin, bool(is_gold), record_id, record_b_id)
        return found

    def annotation_answers(self, annotation_ids: list[int]) -> dict[int, dict]:
        """Each annotation's whole answer, by annotation id (its two columns only: an export asks for 100,000)."""
        found = {}
        for start in range(0, len(annotation_ids), 900):
            chunk = annotation_ids[start : start + 900]
            marks = ", ".join("?" * len(chunk))
            found.update((annotation_id, json.loads(answer)) for annotation_id, answer in self.db.execute(
                f"SELECT id, answer FROM annotations WHERE id IN ({marks})", chunk))  # fmt: skip
        return found

    def _rows_by_id(self, table: str, ids: list[int]) -> dict[int, dict]:
        found = {}
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ", ".join("?" * len(chunk))
            for row in self.db.query(f"SELECT * FROM {table} WHERE id IN ({marks})", chunk):  # table: a fixed name
                found[row["id"]] = row
        return found
