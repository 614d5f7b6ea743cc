"""Named queries over `sessions`: the review app's sign-ins that a cookie can resume.

Only hashes of the handoff code and of the cookie's token are stored. Timestamps are ISO 8601
UTC strings, compared as text.
"""

from __future__ import annotations

from typing import Any


class SessionQueries:
    db: Any

    def insert_session(self, annotator_id: int, handoff_hash: str, now: str) -> int:
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT INTO sessions (annotator_id, handoff_hash, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
                [annotator_id, handoff_hash, now, now],
            )
        return cursor.lastrowid

    def exchange_session_handoff(self, handoff_hash: str, token_hash: str, *, issued_after: str, now: str) -> int | None:
        """Give the session whose unused handoff was issued after `issued_after` its token (once);
        its id, or None."""
        with self.db.atomic():
            rows = self.db.execute(
                """
                UPDATE sessions SET token_hash = :token, handoff_hash = NULL, last_seen_at = :now
                WHERE handoff_hash = :handoff AND created_at > :issued_after
                RETURNING id
                """,
                {"token": token_hash, "handoff": handoff_hash, "issued_after": issued_after, "now": now},
            ).fetchall()
        return rows[0][0] if rows else None

    def session_by_token(self, token_hash: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM sessions WHERE token_hash = ?", [token_hash]))
        return rows[0] if rows else None

    def session_by_id(self, session_id: int) -> dict | None:
        rows = list(self.db.query("SELECT * FROM sessions WHERE id = ?", [session_id]))
        return rows[0] if rows else None

    def session_handoff_pending(self, session_id: int) -> bool:
        rows = list(self.db.query("SELECT handoff_hash IS NOT NULL AS pending FROM sessions WHERE id = ?", [session_id]))
        return bool(rows and rows[0]["pending"])

    def touch_session(self, session_id: int, now: str) -> None:
        with self.db.atomic():
            self.db.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", [now, session_id])

    def delete_session(self, session_id: int) -> None:
        with self.db.atomic():
            self.db.execute("DELETE FROM sessions WHERE id = ?", [session_id])

    def delete_session_by_token(self, token_hash: str) -> None:
        with self.db.atomic():
            self.db.execute("DELETE FROM sessions WHERE token_hash = ?", [token_hash])

    def delete_stale_sessions(self, *, seen_before: str, created_before: str) -> int:
        """Remove sessions idle since `seen_before` or older than `created_before`; how many."""
        with self.db.atomic():
            return self.db.execute(
                "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?", [seen_before, created_before]
            ).rowcount
