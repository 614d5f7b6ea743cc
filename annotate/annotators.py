"""Annotators: identity and role. (Passwords and sign-in arrive with the review app.)"""

from __future__ import annotations

import re

from annotate.errors import AnnotatorError
from annotate.store import Store

ROLES = ("annotator", "lead", "engineer", "admin")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def add_annotator(store: Store, email: str, role: str = "annotator", name: str | None = None) -> dict:
    """Register a person; the email is their identity everywhere (case-insensitive)."""
    email = email.strip()
    if not _EMAIL.match(email):
        raise AnnotatorError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise AnnotatorError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if store.annotator_by_email(email) is not None:
        raise AnnotatorError(f"{email} is already registered")
    return store.insert_annotator(email, role, name)


def active_annotator(store: Store, email: str) -> dict:
    """The annotator with this email, who must exist and be active."""
    annotator = store.annotator_by_email(email)
    if annotator is None:
        raise AnnotatorError(f"{email} is not a registered annotator; ask your lead to add you")
    if not annotator["active"]:
        raise AnnotatorError(f"{email} has been deactivated; ask your lead")
    return annotator
