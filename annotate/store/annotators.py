"""Named queries over `annotators`: the people who review, lead and engineer, and their sign-in state.

Timestamps (`now`, `locked_until`) are ISO 8601 UTC strings. Updates return the changed row,
or None when no annotator has that email.
"""

from __future__ import annotations

from typing import Any

from annotate.clock import utc_now_text


class AnnotatorQueries:
    db: Any

    def annotator_by_email(self, email: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM annotators WHERE email = ?", [email]))
        return rows[0] if rows else None

    def annotator_by_id(self, annotator_id: int) -> dict | None:
        rows = list(self.db.query("SELECT * FROM annotators WHERE id = ?", [annotator_id]))
        return rows[0] if rows else None

    def insert_annotator(self, email: str, role: str, name: str | None = None) -> dict:
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO annotators (email, name, role, created_at) VALUES (?, ?, ?, ?)",
                [email, name, role, utc_now_text()],
            )
        return self.annotator_by_email(email)

    def list_annotators(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM annotators ORDER BY email"))

    def set_password_hash(self, email: str, password_hash: str) -> dict | None:
        """Store a new password hash; a new password also clears failed sign-ins and any lockout."""
        return self._update_annotator(
            """
            UPDATE annotators SET password_hash = :hash, failed_sign_ins = 0, locked_until = NULL
            WHERE email = :email
            """,
            {"hash": password_hash, "email": email},
        )

    def reserve_sign_in_attempt(self, email: str, *, max_failed: int, now: str, locked_until: str) -> dict | None:
        """Count an attempt as a failure before its password is checked, in one statement, unless
        the account is locked at `now` (None then): concurrent attempts cannot all slip in before
        the count reaches `max_failed`. A success clears it (`record_sign_in`)."""
        return self._update_annotator(
            """
            UPDATE annotators
            SET failed_sign_ins = failed_sign_ins + 1,
                locked_until = CASE WHEN failed_sign_ins + 1 >= :max_failed THEN :locked_until ELSE locked_until END
            WHERE email = :email AND (locked_until IS NULL OR locked_until <= :now)
            """,
            {"max_failed": max_failed, "locked_until": locked_until, "now": now, "email": email},
        )

    def clear_failed_sign_ins(self, email: str) -> dict | None:
        return self._update_annotator(
            "UPDATE annotators SET failed_sign_ins = 0, locked_until = NULL WHERE email = :email", {"email": email}
        )

    def record_sign_in(self, email: str, now: str) -> dict | None:
        """A successful sign-in: failures and lockout cleared, `last_sign_in_at` set."""
        return self._update_annotator(
            """
            UPDATE annotators SET failed_sign_ins = 0, locked_until = NULL, last_sign_in_at = :now
            WHERE email = :email
            """,
            {"now": now, "email": email},
        )

    def set_annotator_active(self, email: str, active: bool) -> dict | None:
        return self._update_annotator(
            "UPDATE annotators SET active = :active WHERE email = :email", {"active": int(active), "email": email}
        )

    def set_annotator_role(self, email: str, role: str) -> dict | None:
        return self._update_annotator(
            "UPDATE annotators SET role = :role WHERE email = :email", {"role": role, "email": email}
        )

    def _update_annotator(self, sql: str, params: dict) -> dict | None:
        with self.db.atomic():
            changed = self.db.execute(sql, params).rowcount
        return self.annotator_by_email(params["email"]) if changed else None

    def count_active_admins(self) -> int:
        return next(self.db.query("SELECT COUNT(*) AS n FROM annotators WHERE role = 'admin' AND active = 1"))["n"]
