"""Named queries over `annotators`: the people who review, lead and engineer."""

from __future__ import annotations

from typing import Any

from annotate.store.rounds import utc_now


class AnnotatorQueries:
    db: Any

    def annotator_by_email(self, email: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM annotators WHERE email = ?", [email]))
        return rows[0] if rows else None

    def insert_annotator(self, email: str, role: str, name: str | None = None) -> dict:
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO annotators (email, name, role, created_at) VALUES (?, ?, ?, ?)",
                [email, name, role, utc_now()],
            )
        return self.annotator_by_email(email)

    def list_annotators(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM annotators ORDER BY email"))
