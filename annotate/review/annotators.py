"""Annotators: identity, role and active flag, and who may change whose. Passwords and sign-in
live in `annotate.review.auth`.

The email is a person's identity everywhere (compared case-insensitively). Every function
raises `AnnotatorError` for an unknown email, an invalid email or an unknown role.

Every change to someone's account names who makes it (`by`): the email of a signed-in person
(the review app's Annotators page, `flywheel users --as EMAIL`), or `OPERATOR`, whoever runs
`flywheel users` on the machine itself. The rules, the same from the app and the command line:
- only leads and admins (`MANAGING_ROLES`) change accounts, and only while their own is active;
- only an admin changes an admin's account or grants the admin role (`grantable_roles`);
- nobody deactivates their own account;
- the operator holds the database file itself, so acts with an admin's rights; they are
  nobody's account, so "your own account" never applies to them.
And for everyone, the operator included: the last active admin is neither demoted nor
deactivated (nobody could manage accounts from the app then), and an unknown role is refused.
A rule the acting person's role breaks raises `NotAllowed` (an `AnnotatorError`).

`pause` and `resume` (new tasks only: `annotate.review.quality`) follow the same rules, need a
reason, and nobody resumes or pauses their own account.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from annotate.clock import utc_now_text
from annotate.errors import AnnotatorError, NotAllowed
from annotate.records import ROLES, PersonRole
from annotate.review.auth import hash_password, set_password, without_password_hash
from annotate.review.quality import check_pause, pause_text, record_decision
from annotate.store import Store

MANAGING_ROLES: tuple[PersonRole, ...] = ("lead", "admin")  # who manages people (the Annotators page is theirs)
ONLY_AN_ADMIN = "Only an admin can change an admin's account or grant the admin role."
NOT_YOURSELF = "You cannot deactivate your own account; ask another lead or admin."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Operator:
    """Whoever runs `flywheel users` on the machine without `--as`: an admin's rights, nobody's account."""

    role = "admin"

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR = Operator()


class _Acting(NamedTuple):
    id: int | None  # None: the operator
    role: str


def grantable_roles(role: str) -> tuple[str, ...]:
    """The roles someone with `role` may give: every role for an admin, all but admin for a lead, none otherwise."""
    if role == "admin":
        return ROLES
    return tuple(each for each in ROLES if each != "admin") if role in MANAGING_ROLES else ()


def add_annotator(
    store: Store, email: str, role: str = "annotator", name: str | None = None, *, password: str | None = None,
    by: str | Operator = OPERATOR,
) -> dict:  # fmt: skip
    """Register a person, with a password when one is given (rules: `annotate.review.auth.hash_password`).

    `by` defaults to the operator, for the operator's own tools (`flywheel annotations import
    --add-annotators`, `flywheel ls pull`); the app and `flywheel users` always say who acts."""
    acting = _acting(store, by)
    email = email.strip()
    if email_problem(email):
        raise AnnotatorError(f"{email!r} is not an email address")
    _check_role(role)
    _may_change(acting, None, role)
    if store.annotator_by_email(email) is not None:
        raise AnnotatorError(f"{email} is already registered")
    if password is None:
        return without_password_hash(store.insert_annotator(email, role, name))
    password_hash = hash_password(password)  # slow on purpose, so done before the transaction
    with store.transaction():
        store.insert_annotator(email, role, name)
        return without_password_hash(store.set_password_hash(email, password_hash))


def email_problem(email: str) -> str | None:
    """Why a text cannot be a person's email (what `add_annotator` refuses), or None."""
    email = email.strip()
    return None if _EMAIL.match(email) and email.isprintable() else f"{email!r} is not an email address"


def find_annotator(store: Store, email: str) -> dict | None:
    """The person registered with this email (active or not), without the password hash; None if nobody is."""
    person = store.annotator_by_email(email.strip())
    return without_password_hash(person) if person is not None else None


def active_annotator(store: Store, email: str) -> dict:
    """The annotator with this email, who must exist and be active."""
    annotator = store.annotator_by_email(email)
    if annotator is None:
        raise AnnotatorError(f"{email} is not a registered annotator; ask your lead to add you")
    if not annotator["active"]:
        raise AnnotatorError(f"{email} has been deactivated; ask your lead")
    return annotator


def deactivate(store: Store, email: str, *, by: str | Operator) -> dict:
    """Stop a person from signing in and taking tasks; their annotations stay, and the task slots
    they hold go back to the queue at once (rather than when their leases run out)."""
    acting = _acting(store, by)
    person = _registered(store, email)
    if acting.id == person["id"]:
        raise NotAllowed(NOT_YOURSELF)
    _may_change(acting, person, None)
    _keep_an_admin(store, person, "deactivate")
    with store.immediate():
        row = store.set_annotator_active(person["email"], False)
        store.return_claims_of(person["id"], utc_now_text("milliseconds"), "deactivated")
    return without_password_hash(row)


def reactivate(store: Store, email: str, *, by: str | Operator) -> dict:
    """Let a deactivated person sign in and take tasks again."""
    acting = _acting(store, by)
    person = _registered(store, email)
    _may_change(acting, person, None)
    return _changed(store.set_annotator_active(person["email"], True), email)


def pause(store: Store, email: str, reason: str, *, by: str | Operator) -> dict:
    """Stop a person from taking new tasks (`annotate.review.quality`): the tasks they hold and
    their answers stay. Until a lead resumes them; the gold-accuracy rule never lifts it."""
    return _pause_decision(store, email, "paused", reason, by)


def resume(store: Store, email: str, reason: str, *, by: str | Operator) -> dict:
    """Let a paused person take new tasks again. The decision stands: the gold-accuracy rule
    counts only gold answers given after it."""
    return _pause_decision(store, email, "resumed", reason, by)


def _pause_decision(store: Store, email: str, action: str, reason: str, by: str | Operator) -> dict:
    """Record a lead's pause or resume, by the account rules above; the row stored."""
    acting = _acting(store, by)
    person = _registered(store, email)
    if acting.id == person["id"]:
        raise NotAllowed(f"You cannot {action[:-1]} your own account; ask another lead or admin.")
    _may_change(acting, person, None)
    if not reason or not reason.strip():
        raise AnnotatorError(f"say why {person['email']} is {action}: a reason is required")
    with store.immediate():
        check_pause(store, person["id"])  # a pause the rule has due is recorded first, so a resume lifts it
        latest = store.latest_pauses(person["id"]).get(person["id"])
        if action == "resumed" and (latest is None or latest["action"] != "paused"):
            raise AnnotatorError(f"{person['email']} is not paused")
        if action == "paused" and latest is not None and latest["action"] == "paused":
            raise AnnotatorError(f"{person['email']} is already paused ({pause_text(latest)})")
        record_decision(store, person["id"], action, reason.strip(), acting.id)
    return store.latest_pauses(person["id"])[person["id"]]


def set_role(store: Store, email: str, role: str, *, by: str | Operator) -> dict:
    """Give a person another role."""
    acting = _acting(store, by)
    _check_role(role)
    person = _registered(store, email)
    _may_change(acting, person, role)
    if role != "admin":
        _keep_an_admin(store, person, "change the role of")
    return _changed(store.set_annotator_role(person["email"], role), email)


def reset_password(store: Store, email: str, password: str, *, by: str | Operator) -> dict:
    """Give a person a new password, which also ends a lockout (`annotate.review.auth.set_password`)."""
    person = check_may_reset_password(store, email, by=by)
    return set_password(store, person["email"], password)


def check_may_reset_password(store: Store, email: str, *, by: str | Operator) -> dict:
    """The person whose password `by` may reset (`NotAllowed` or `AnnotatorError` otherwise), so a
    command can refuse before asking for the new password."""
    acting = _acting(store, by)
    person = _registered(store, email)
    _may_change(acting, person, None)
    return person


def list_annotators(store: Store) -> list[dict]:
    """Everyone registered, by email, without password hashes."""
    return [without_password_hash(row) for row in store.list_annotators()]


def _acting(store: Store, by: str | Operator) -> _Acting:
    """Who makes the change: the operator, or an active lead or admin."""
    if isinstance(by, Operator):
        return _Acting(None, by.role)
    email = by.strip()
    person = store.annotator_by_email(email)
    if person is None:
        raise AnnotatorError(f"cannot act as {email}: not a registered annotator")
    if not person["active"]:
        raise AnnotatorError(f"cannot act as {email}: the account has been deactivated")
    if person["role"] not in MANAGING_ROLES:
        raise NotAllowed(f"only leads and admins manage people's accounts; {email} is {_with_article(person['role'])}")
    return _Acting(person["id"], person["role"])


def _may_change(acting: _Acting, person: dict | None, new_role: str | None) -> None:
    """A lead may not change an admin's account nor grant the admin role (an admin may)."""
    touches_an_admin = person is not None and person["role"] == "admin"
    grants_too_much = new_role is not None and new_role not in grantable_roles(acting.role)
    if acting.role != "admin" and (touches_an_admin or grants_too_much):
        raise NotAllowed(ONLY_AN_ADMIN)


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


def _with_article(role: str) -> str:
    return f"{'an' if role[0] in 'aeiou' else 'a'} {role}"
