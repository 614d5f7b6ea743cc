"""Sign-ins that survive a reload or a new tab: server-side sessions behind an HttpOnly cookie.

Contract:
- `start_session` (after a successful sign-in) stores a session for the annotator and returns its
  id and a one-time handoff code. The page hands the code to the browser's script, which posts
  it to the app's `/flywheel/session/start` route; `exchange_handoff` (that route) swaps it, once
  and within `HANDOFF_SECONDS`, for the session's token, which only ever travels in the route's
  `Set-Cookie` (HttpOnly, SameSite=Strict): page scripts never see it.
- The token is 256 random bits; the store keeps only the SHA-256 of the code and of the token, so
  a copy of the database signs nobody in. No secret key is needed: a token not in the table is
  refused whatever it looks like.
- `resume_session` (a page load that brings the cookie) returns the annotator, or None when the
  token is unknown or altered, the session has been idle longer than the project's
  `[app] session_idle_minutes`, is older than `MAX_SESSION_HOURS`, or the account is deactivated,
  removed or locked out; every refusal but an unknown token deletes the session.
- `session_in_force` (every page run of a tab signed in this way) holds the tab to the same
  session: signing out in one tab, or the whole browser going idle, ends it in every tab.
- `end_session` (signing out) deletes it: the cookie, if the browser keeps it, signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from annotate.clock import utc_now
from annotate.review.auth import lock_ends, without_password_hash
from annotate.store import Store

SESSION_COOKIE = "flywheel_session"
HANDOFF_SECONDS = 60  # a handoff code not exchanged by then is refused
MAX_SESSION_HOURS = 12  # the longest a session lives, however active (the cookie's Max-Age too)
TOUCH_EVERY_SECONDS = 30  # how stale `last_seen_at` may get before a page run writes it again


def start_session(store: Store, annotator_id: int, *, idle_minutes: int, now: datetime | None = None) -> tuple[int, str]:
    """A new session for a signed-in annotator: (its id, the one-time handoff code for the browser)."""
    now = now or utc_now()
    store.delete_stale_sessions(seen_before=_iso(now - timedelta(minutes=idle_minutes)),
                                created_before=_iso(now - timedelta(hours=MAX_SESSION_HOURS)))  # fmt: skip
    code = secrets.token_urlsafe(32)
    return store.insert_session(annotator_id, _digest(code), _iso(now)), code


def exchange_handoff(store: Store, code: str, *, now: datetime | None = None) -> str | None:
    """The cookie token for a fresh, unused handoff code, or None."""
    now = now or utc_now()
    token = secrets.token_urlsafe(32)
    issued_after = _iso(now - timedelta(seconds=HANDOFF_SECONDS))
    found = store.exchange_session_handoff(_digest(code), _digest(token), issued_after=issued_after, now=_iso(now))
    return token if found is not None else None


def resume_session(store: Store, token: str, *, idle_minutes: int, now: datetime | None = None) -> tuple[int, dict] | None:
    """(session id, annotator row without its hash) for a cookie's token still good now, or None."""
    session = store.session_by_token(_digest(token)) if token else None
    if session is None:
        return None
    annotator = _in_force(store, session, idle_minutes, now or utc_now(), touch=True, refuse_locked=True)
    return (session["id"], annotator) if annotator is not None else None


def session_in_force(store: Store, session_id: int, *, idle_minutes: int, touch: bool, now: datetime | None = None) -> dict | None:
    """The annotator of an open tab's session while it stands (not signed out in another tab, not idle
    in every tab, not too old, the account active), else None; `touch` records activity now.
    A lockout does not end a session already open: it stops new sign-ins and cookie resumes."""
    session = store.session_by_id(session_id)
    if session is None:
        return None
    return _in_force(store, session, idle_minutes, now or utc_now(), touch=touch, refuse_locked=False)


def _in_force(store: Store, session: dict, idle_minutes: int, now: datetime, *, touch: bool, refuse_locked: bool) -> dict | None:
    annotator = store.annotator_by_id(session["annotator_id"])
    idle = datetime.fromisoformat(session["last_seen_at"]) < now - timedelta(minutes=idle_minutes)
    too_old = datetime.fromisoformat(session["created_at"]) < now - timedelta(hours=MAX_SESSION_HOURS)
    locked = refuse_locked and annotator is not None and lock_ends(annotator, now) is not None
    if idle or too_old or locked or annotator is None or not annotator["active"]:
        store.delete_session(session["id"])
        return None
    if touch:
        store.touch_session(session["id"], _iso(now))
    return without_password_hash(annotator)


def end_session(store: Store, session_id: int) -> None:
    store.delete_session(session_id)


def end_session_by_token(store: Store, token: str) -> None:
    if token:
        store.delete_session_by_token(_digest(token))


def handoff_pending(store: Store, session_id: int) -> bool:
    """Whether the browser has yet to exchange this session's handoff code for its cookie."""
    return store.session_handoff_pending(session_id)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
