"""Named queries over `datasets`: the registry of export snapshots.

Snapshots come back as `RegisteredSnapshot` values with their JSON columns (`spec`, `counts`,
`file_hashes`) decoded here, once; `insert_dataset` encodes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RegisteredSnapshot:
    """A row of `datasets`: one export snapshot, `exports/NAME/vVERSION/` (the manifest holds the rest)."""

    id: int
    name: str
    version: int
    kind: str  # sft | dpo | kto
    path: str  # the snapshot folder, relative to the project
    spec: dict[str, Any]  # the export spec used
    counts: dict[str, Any]  # the manifest's counts: train, eval, by_split_and_source, by_category, by_origin
    file_hashes: dict[str, str]  # file name -> sha256
    created_at: str
    round_id: int | None  # the round open when it was exported

    @classmethod
    def from_row(cls, row: dict) -> RegisteredSnapshot:
        return cls(
            id=row["id"], name=row["name"], version=row["version"], kind=row["kind"], path=row["path"],
            spec=json.loads(row["spec"]), counts=json.loads(row["counts"] or "{}"),
            file_hashes=json.loads(row["file_hashes"] or "{}"), created_at=row["created_at"], round_id=row["round_id"],
        )  # fmt: skip


class DatasetQueries:
    db: Any

    def next_dataset_version(self, name: str) -> int:
        row = next(self.db.query("SELECT COALESCE(MAX(version), 0) + 1 AS next FROM datasets WHERE name = ?", [name]))
        return row["next"]

    def insert_dataset(self, *, name: str, version: int, kind: str, path: str, spec: dict[str, Any],
                       counts: dict[str, Any], file_hashes: dict[str, str], created_at: str) -> int:  # fmt: skip
        """Register a snapshot, in the round open now (if any); returns its id."""
        return self.db.execute(
            """
            INSERT INTO datasets (name, version, kind, path, spec, counts, file_hashes, created_at, round_id)
            VALUES (:name, :version, :kind, :path, :spec, :counts, :file_hashes, :created_at,
                    (SELECT id FROM rounds WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1))
            """,
            {"name": name, "version": version, "kind": kind, "path": path, "created_at": created_at,
             "spec": json.dumps(spec, separators=(",", ":"), ensure_ascii=False),  # as pydantic's model_dump_json wrote it
             "counts": json.dumps(counts), "file_hashes": json.dumps(file_hashes)},
        ).lastrowid  # fmt: skip

    def datasets(self, name: str | None = None) -> list[RegisteredSnapshot]:
        """Every snapshot (of `name`, when given), by name then version."""
        rows = self.db.query("SELECT * FROM datasets WHERE (:name IS NULL OR name = :name) ORDER BY name, version",
                             {"name": name})  # fmt: skip
        return [RegisteredSnapshot.from_row(row) for row in rows]

    def dataset(self, name: str, version: int) -> RegisteredSnapshot | None:
        rows = list(self.db.query("SELECT * FROM datasets WHERE name = ? AND version = ?", [name, version]))
        return RegisteredSnapshot.from_row(rows[0]) if rows else None

    def records_for_export(self) -> dict[str, dict]:
        """Every record, by id (what examples are made from), its `messages` and offered `tools` decoded."""
        return {row["id"]: {**row, "messages": json.loads(row["messages"]), "tools": json.loads(row["tools"]) if row["tools"] else None}
                for row in self.db.query(
            "SELECT id, source, messages, response, feedback_thumbs, group_id, round_id, tools FROM records")}  # fmt: skip
