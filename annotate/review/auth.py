"""Local accounts: passwords and sign-in for the review app.

Contract:
- Passwords are hashed with argon2id (argon2-cffi's `PasswordHasher` defaults). Only the hash
  is stored; a hash made with older parameters is replaced on the next successful sign-in.
- A password has at least `MIN_PASSWORD_LENGTH` characters (`AnnotatorError` otherwise).
  Setting a new one also clears failed sign-ins and any lockout.
- `sign_in` returns the annotator's row (without the hash) or raises `SignInError`:
  - unknown email, no password set, wrong password: one message, `WRONG_EMAIL_OR_PASSWORD`,
    with the same argon2 work done in each case, so neither the words nor the timing say
    which emails exist;
  - a locked account: "too many failed sign-ins; try again in N minutes", and the password
    is not even checked;
  - a deactivated account: said only to someone who gives the right password.
- Lockout is per account: `max_failed` consecutive failures lock it for `lockout_minutes`.
  The count is kept until a success or a new password, so once a lock ends, one more wrong
  password locks the account again. Each attempt is counted before its password is checked, in
  one SQL statement that refuses a locked account, so parallel attempts get at most `max_failed`
  password checks, never more.
"""

from __future__ import annotations

import logging
import math
import secrets
from datetime import datetime, timedelta, timezone
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from annotate.clock import utc_now
from annotate.errors import AnnotatorError, SignInError
from annotate.store import Store

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
WRONG_EMAIL_OR_PASSWORD = "wrong email or password"
DEACTIVATED = "this account has been deactivated; ask your lead"
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2 hash of a password that follows the rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AnnotatorError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def set_password(store: Store, email: str, password: str) -> dict:
    """Give an annotator a new password (clearing any lockout); returns the row without the hash."""
    row = store.set_password_hash(email.strip(), hash_password(password))
    if row is None:
        raise AnnotatorError(f"{email.strip()} is not a registered annotator")
    return without_password_hash(row)


def generate_password() -> str:
    """A random 16-character URL-safe password (96 bits)."""
    return secrets.token_urlsafe(12)


def sign_in(
    store: Store, email: str, password: str, *, max_failed: int, lockout_minutes: int, now: datetime | None = None
) -> dict:
    """The annotator with this email and password, signed in now; `SignInError` otherwise."""
    now = _utc(now)
    email = email.strip()
    annotator = store.annotator_by_email(email)
    if annotator is None or not annotator["password_hash"]:
        _verify(_dummy_hash(), password)  # same work as a real check: timing says nothing
        raise SignInError(WRONG_EMAIL_OR_PASSWORD)
    _refuse_if_locked(annotator, now)
    locked_until = _iso(now + timedelta(minutes=lockout_minutes))
    if store.reserve_sign_in_attempt(email, max_failed=max_failed, now=_iso(now), locked_until=locked_until) is None:
        _refuse_if_locked(store.annotator_by_email(email) or annotator, now)  # locked by a concurrent attempt
        raise SignInError(WRONG_EMAIL_OR_PASSWORD)
    if not _verify(annotator["password_hash"], password):
        raise SignInError(WRONG_EMAIL_OR_PASSWORD)  # already counted
    if not annotator["active"]:
        store.clear_failed_sign_ins(email)
        raise SignInError(DEACTIVATED)
    if _HASHER.check_needs_rehash(annotator["password_hash"]):
        store.set_password_hash(email, _HASHER.hash(password))
    return without_password_hash(store.record_sign_in(email, _iso(now)))


def lock_ends(annotator: dict, now: datetime | None = None) -> datetime | None:
    """When the annotator's lockout ends, or None when they are not locked out now."""
    if not annotator.get("locked_until"):
        return None
    ends = datetime.fromisoformat(annotator["locked_until"])
    return ends if ends > _utc(now) else None


def account_status(annotator: dict) -> str:
    """'no' (deactivated), 'yes', or 'yes, locked until 2026-10-03 14:22' (UTC), for account lists."""
    if not annotator["active"]:
        return "no"
    ends = lock_ends(annotator)
    return f"yes, locked until {minute_text(ends.isoformat())}" if ends else "yes"


def minute_text(timestamp: str | None) -> str:
    """'2026-10-03T14:22:05+00:00' as '2026-10-03 14:22' ('' for None)."""
    return timestamp[:16].replace("T", " ") if timestamp else ""


def _refuse_if_locked(annotator: dict, now: datetime) -> None:
    ends = lock_ends(annotator, now)
    if ends is not None:
        minutes = max(1, math.ceil((ends - now).total_seconds() / 60))
        raise SignInError(f"too many failed sign-ins; try again in {minutes} minute{'s' if minutes != 1 else ''}")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except VerificationError:
        return False
    except InvalidHashError:
        log.warning("an annotator's stored password hash is not a valid argon2 hash; reset their password")
        return False


@cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(12))


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return utc_now()
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def without_password_hash(row: dict) -> dict:
    """An annotator's row fit to show or keep in a session: the password hash left out."""
    return {key: value for key, value in row.items() if key != "password_hash"}
