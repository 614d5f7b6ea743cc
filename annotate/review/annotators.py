"""Annotators: identity, role and active flag. Passwords and sign-in live in `annotate.review.auth`.

The email is a person's identity everywhere (compared case-insensitively). Every function
raises `AnnotatorError` for an unknown email, an invalid email or an unknown role.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from annotate.errors import AnnotatorError
from annotate.review.auth import hash_password, without_password_hash
from annotate.store import Store

ROLES = ("annotator", "lead", "engineer", "admin")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def add_annotator(
    store: Store, email: str, role: str = "annotator", name: str | None = None, *, password: str | None = None
) -> dict:
    """Register a person, with a password when one is given (rules: `annotate.review.auth.hash_password`)."""
    email = email.strip()
    if not _EMAIL.match(email):
        raise AnnotatorError(f"{email!r} is not an email address")
    _check_role(role)
    if store.annotator_by_email(email) is not None:
        raise AnnotatorError(f"{email} is already registered")
    if password is None:
        return without_password_hash(store.insert_annotator(email, role, name))
    password_hash = hash_password(password)  # slow on purpose, so done before the transaction
    with store.transaction():
        store.insert_annotator(email, role, name)
        return without_password_hash(store.set_password_hash(email, password_hash))


def active_annotator(store: Store, email: str) -> dict:
    """The annotator with this email, who must exist and be active."""
    annotator = store.annotator_by_email(email)
    if annotator is None:
        raise AnnotatorError(f"{email} is not a registered annotator; ask your lead to add you")
    if not annotator["active"]:
        raise AnnotatorError(f"{email} has been deactivated; ask your lead")
    return annotator


def deactivate(store: Store, email: str) -> dict:
    """Stop a person from signing in and taking tasks; their annotations stay, and the task slots
    they hold go back to the queue at once (rather than when their leases run out)."""
    person = _registered(store, email)
    _keep_an_admin(store, person, "deactivate")
    with store.immediate():
        row = store.set_annotator_active(person["email"], False)
        store.return_claims_of(person["id"], datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "deactivated")
    return without_password_hash(row)


def reactivate(store: Store, email: str) -> dict:
    """Let a deactivated person sign in and take tasks again."""
    return _changed(store.set_annotator_active(email.strip(), True), email)


def set_role(store: Store, email: str, role: str) -> dict:
    """Give a person another role."""
    _check_role(role)
    person = _registered(store, email)
    if role != "admin":
        _keep_an_admin(store, person, "change the role of")
    return _changed(store.set_annotator_role(person["email"], role), email)


def list_annotators(store: Store) -> list[dict]:
    """Everyone registered, by email, without password hashes."""
    return [without_password_hash(row) for row in store.list_annotators()]


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AnnotatorError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")


def _registered(store: Store, email: str) -> dict:
    person = store.annotator_by_email(email.strip())
    if person is None:
        raise AnnotatorError(f"{email.strip()} is not a registered annotator")
    return person


def _keep_an_admin(store: Store, person: dict, action: str) -> None:
    """Refuse to remove the last active admin: nobody could manage accounts from the app then."""
    if person["role"] == "admin" and person["active"] and store.count_active_admins() <= 1:
        raise AnnotatorError(f"cannot {action} {person['email']}: the last active admin; make someone else admin first")


def _changed(row: dict | None, email: str) -> dict:
    if row is None:
        raise AnnotatorError(f"{email.strip()} is not a registered annotator")
    return without_password_hash(row)
