"""Named queries over `ls_projects` and `ls_annotations`: what was pushed to Label Studio and pulled back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


class LabelStudioQueries:
    db: Any

    def active_ls_project(self, kind: str, round_id: int) -> dict | None:
        rows = list(
            self.db.query(
                "SELECT * FROM ls_projects WHERE kind = ? AND round_id = ? AND status = 'active'", [kind, round_id]
            )
        )
        return rows[0] if rows else None

    def active_ls_projects(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM ls_projects WHERE status = 'active' ORDER BY id"))

    def insert_ls_project(self, row: dict) -> dict:
        project_id = self.db.execute(
            """
            INSERT INTO ls_projects (server_url, ls_project_id, kind, round_id, title, label_config_hash, created_at)
            VALUES (:server_url, :ls_project_id, :kind, :round_id, :title, :label_config_hash, :created_at)
            """,
            row,
        ).lastrowid
        return next(self.db.query("SELECT * FROM ls_projects WHERE id = ?", [project_id]))

    def update_ls_project(self, project_id: int, **fields: Any) -> None:
        allowed = {"label_config_hash", "status", "pull_cursor", "push_started_at", "last_push_at", "last_pull_at"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not an ls_projects column to update: {', '.join(sorted(unknown))}")
        assignments = ", ".join(f"{column} = :{column}" for column in fields)  # names from the allow-list above
        self.db.execute(f"UPDATE ls_projects SET {assignments} WHERE id = :id", {**fields, "id": project_id})

    def forget_ls_project(self, project_id: int) -> int:
        """Mark a project gone on the server; its open tasks become pushable again. Returns how many."""
        self.update_ls_project(project_id, status="gone", push_started_at=None)
        return self.db.execute(
            "UPDATE tasks SET ls_project = NULL, external_id = NULL WHERE ls_project = ? AND status = 'open'", [project_id]
        ).rowcount

    def tasks_to_push(self, kind: str | None, limit: int | None) -> list[dict]:
        """Open tasks routed to Label Studio and not yet pushed, best first, with what an expert sees
        (the conversation, `messages`, and the tools each record offered, `tools_a`/`tools_b`, decoded)."""
        return [{**row, "messages": json.loads(row["messages"]),
                 **{name: json.loads(row[name]) if row[name] else None for name in ("tools_a", "tools_b")}} for row in
            self.db.query(
                """
                SELECT tasks.id, tasks.kind, tasks.round_id, tasks.required_annotations, tasks.priority,
                       a.messages, a.response AS response_a, b.response AS response_b,
                       a.tools AS tools_a, b.tools AS tools_b
                FROM tasks JOIN records AS a ON a.id = tasks.record_id
                     LEFT JOIN records AS b ON b.id = tasks.record_b_id
                WHERE tasks.route = 'labelstudio' AND tasks.status = 'open' AND tasks.ls_project IS NULL
                  AND (:kind IS NULL OR tasks.kind = :kind)
                ORDER BY tasks.priority DESC, tasks.id
                LIMIT COALESCE(:limit, -1)
                """,
                {"kind": kind, "limit": limit},
            )
        ]  # fmt: skip

    def unpushed_task_ids(self, kind: str, round_id: int) -> set[int]:
        return {
            row["id"]
            for row in self.db.query(
                """
                SELECT id FROM tasks WHERE route = 'labelstudio' AND ls_project IS NULL AND kind = ? AND round_id = ?
                """,
                [kind, round_id],
            )
        }

    def record_pushed(self, project_id: int, pushed: Sequence[tuple[int, int]]) -> int:
        """(task id, Label Studio task id) pairs; a task already pushed keeps its first id. Returns how many were new."""
        return self.db.conn.executemany(  # rowcount, not total_changes: the change counter's trigger adds to that
            "UPDATE tasks SET ls_project = ?, external_id = ? WHERE id = ? AND ls_project IS NULL",
            [(project_id, str(ls_task_id), task_id) for task_id, ls_task_id in pushed],
        ).rowcount

    def pushed_task(self, project_id: int, ls_task_id: int) -> dict | None:
        rows = list(
            self.db.query(
                "SELECT * FROM tasks WHERE ls_project = ? AND external_id = ?", [project_id, str(ls_task_id)]
            )
        )
        return rows[0] if rows else None

    def ls_annotations_of_task(self, project_id: int, task_id: int) -> dict[int, dict]:
        return {
            row["ls_annotation_id"]: row
            for row in self.db.query(
                "SELECT * FROM ls_annotations WHERE ls_project = ? AND task_id = ?", [project_id, task_id]
            )
        }

    def save_ls_annotation(self, row: dict) -> None:
        self.db.execute(
            """
            INSERT INTO ls_annotations (ls_project, ls_annotation_id, task_id, annotator_id, result_hash, state,
                                        problem, annotation_id, ls_updated_at, pulled_at)
            VALUES (:ls_project, :ls_annotation_id, :task_id, :annotator_id, :result_hash, :state,
                    :problem, :annotation_id, :ls_updated_at, :pulled_at)
            ON CONFLICT (ls_project, ls_annotation_id) DO UPDATE SET
                annotator_id = excluded.annotator_id, result_hash = excluded.result_hash, state = excluded.state,
                problem = excluded.problem, annotation_id = COALESCE(excluded.annotation_id, annotation_id),
                ls_updated_at = excluded.ls_updated_at, pulled_at = excluded.pulled_at
            """,
            row,
        )

    def ls_project_summaries(self) -> list[dict]:
        """Every project Flywheel made in Label Studio, with what was pushed and pulled."""
        return list(
            self.db.query(
                """
                SELECT p.*, rounds.name AS round_name,
                       (SELECT COUNT(*) FROM tasks WHERE tasks.ls_project = p.id) AS pushed_tasks,
                       (SELECT COUNT(*) FROM tasks WHERE tasks.ls_project = p.id AND tasks.status = 'done') AS done_tasks,
                       (SELECT COUNT(*) FROM ls_annotations AS l WHERE l.ls_project = p.id AND l.state = 'stored') AS stored,
                       (SELECT COUNT(*) FROM ls_annotations AS l WHERE l.ls_project = p.id AND l.state = 'skipped') AS skipped,
                       (SELECT COUNT(*) FROM ls_annotations AS l WHERE l.ls_project = p.id AND l.state = 'invalid') AS invalid,
                       (SELECT COUNT(*) FROM ls_annotations AS l WHERE l.ls_project = p.id AND l.state = 'deleted') AS deleted
                FROM ls_projects AS p JOIN rounds ON rounds.id = p.round_id
                ORDER BY p.id
                """
            )
        )

    def ls_problems(self, limit: int = 50) -> list[dict]:
        """Pulled annotations that were not stored (invalid) or that were deleted on the server, newest first."""
        return list(
            self.db.query(
                """
                SELECT l.*, p.ls_project_id, tasks.external_id AS ls_task_id FROM ls_annotations AS l
                JOIN ls_projects AS p ON p.id = l.ls_project JOIN tasks ON tasks.id = l.task_id
                WHERE l.state IN ('invalid', 'deleted') ORDER BY l.pulled_at DESC LIMIT ?
                """,
                [limit],
            )
        )
