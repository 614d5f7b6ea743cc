"""Named queries over `datasets`: the registry of export snapshots."""

from __future__ import annotations

from typing import Any


class DatasetQueries:
    db: Any

    def next_dataset_version(self, name: str) -> int:
        row = next(self.db.query("SELECT COALESCE(MAX(version), 0) + 1 AS next FROM datasets WHERE name = ?", [name]))
        return row["next"]

    def insert_dataset(self, row: dict) -> int:
        return self.db.execute(
            """
            INSERT INTO datasets (name, version, kind, path, spec, counts, file_hashes, created_at, round_id)
            VALUES (:name, :version, :kind, :path, :spec, :counts, :file_hashes, :created_at,
                    (SELECT id FROM rounds WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1))
            """,
            row,
        ).lastrowid

    def datasets(self, name: str | None = None) -> list[dict]:
        return list(
            self.db.query(
                "SELECT * FROM datasets WHERE (:name IS NULL OR name = :name) ORDER BY name, version", {"name": name}
            )
        )

    def dataset(self, name: str, version: int) -> dict | None:
        rows = list(self.db.query("SELECT * FROM datasets WHERE name = ? AND version = ?", [name, version]))
        return rows[0] if rows else None

    def records_for_export(self) -> dict[str, dict]:
        """Every record, by id (what examples are made from)."""
        return {row["id"]: row for row in self.db.query(
            "SELECT id, source, messages, response, feedback_thumbs, group_id, round_id FROM records")}  # fmt: skip
