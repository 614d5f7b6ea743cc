"""Who is signed in: local accounts (argon2 passwords) or single sign-on, with an idle timeout.

Nobody sees anything before signing in. With `[auth]` in `.streamlit/secrets.toml`, Streamlit's
OpenID Connect login (`st.login`) is used instead of passwords, and the role still comes from
the annotators table by email: an unknown email is asked to see its lead, not let in. Every page
run re-reads the annotator, so a deactivation or a role change takes effect at once.

A password sign-in also starts a server-side session (`annotate.review.sessions`) whose token the
browser keeps in an HttpOnly cookie, set by `review_server.py`'s route: a reload or a new tab
brings the cookie and resumes the sign-in, within the idle timeout. Signing out ends it.
"""

from __future__ import annotations

import json
import time

import streamlit as st

from annotate.errors import FlywheelError
from annotate.review.annotators import find_annotator
from annotate.review.auth import sign_in
from annotate.review.sessions import (
    HANDOFF_SECONDS, SESSION_COOKIE, TOUCH_EVERY_SECONDS, end_session, handoff_pending, resume_session,
    session_in_force, start_session,
)  # fmt: skip
from annotate.ui.session_routes import END_PATH, START_PATH
from annotate.ui.store_access import current_project, open_store
from annotate.ui.text import escape_markdown


def sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own not-found error
        return False


def current_user() -> dict | None:
    """The signed-in, active annotator (refreshed from the store), or None."""
    user = st.session_state.user
    if user is None and sso_configured() and st.user.is_logged_in:
        user = _user_from_sso()
    elif user is None and not sso_configured():
        user = _user_from_cookie()
    if user is None:
        return None
    idle_minutes = current_project().config.app.session_idle_minutes
    if time.time() - st.session_state.last_active > idle_minutes * 60:
        # This tab only: another tab of the browser may be keeping the session alive (a reload then
        # resumes it); with none, the session's own idle check refuses the reload too.
        sign_out(f"You were signed out after {idle_minutes} idle minutes.", end_session_row=False)
        return None
    if st.session_state.session_id is not None:  # a password sign-in: the session row decides, for every tab
        return _user_of_session(idle_minutes)
    with open_store() as store:
        fresh = find_annotator(store, user["email"])
    if fresh is None or not fresh["active"]:
        sign_out("This account has been deactivated; ask your lead.")
        return None
    st.session_state.user = _public(fresh)
    st.session_state.last_active = time.time()
    return st.session_state.user


def sign_out(reason: str = "", *, end_session_row: bool = True) -> None:
    """End this tab's sign-in and, unless told otherwise, the session behind it (every tab's)."""
    if st.session_state.session_id is not None and end_session_row:
        with open_store() as store:
            end_session(store, st.session_state.session_id)
        st.session_state.cookie_end = True
    st.session_state.session_id = None
    st.session_state.cookie_handoff = None
    st.session_state.user = None
    st.session_state.signed_out_reason = reason
    st.session_state.task_started = {}
    st.session_state.lost_answer = None
    if sso_configured() and st.user.is_logged_in:
        st.logout()
        # End this run here: st.logout() only queues the browser's redirect to /auth/logout (which
        # clears the identity cookie), and a rerun started now (review_app's `st.rerun()` after
        # sign_out) clears that queue before it reaches the browser, leaving the cookie in place
        # so that the next page load signs the person straight back in.
        st.stop()


def sign_in_page() -> None:
    st.title("Flywheel review")
    if st.session_state.signed_out_reason:
        st.info(escape_markdown(st.session_state.signed_out_reason))
    if sso_configured():
        if st.user.is_logged_in:
            st.warning(escape_markdown(_why_not_let_in(str(st.user.email or ""))))
            st.button("Sign out", on_click=st.logout)
        else:
            st.button("Sign in with single sign-on", on_click=st.login, type="primary")
        return
    with st.form("sign-in"):
        email = st.text_input("Email", key="sign_in_email")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        settings = current_project().config.app
        try:
            with open_store() as store:
                user = sign_in(store, email.strip(), password, max_failed=settings.max_failed_sign_ins,
                               lockout_minutes=settings.lockout_minutes)  # fmt: skip
                session_id, handoff = start_session(store, user["id"], idle_minutes=settings.session_idle_minutes)
        except FlywheelError as exc:
            st.error(escape_markdown(exc))
            return
        st.session_state.user = _public(user)
        st.session_state.last_active = st.session_state.session_touched = time.time()
        st.session_state.session_id, st.session_state.cookie_handoff = session_id, (handoff, time.time())
        st.session_state.cookie_end = False
        st.session_state.signed_out_reason = ""
        st.rerun()


def send_cookie_instructions() -> None:
    """Have the browser fetch the session cookie after a sign-in, or drop it after a sign-out.

    The script posts to this server's own routes (`annotate.ui.session_routes`); the handoff code
    is single-use and short-lived, and the token itself never reaches the page. Repeated on each
    run until the exchange is seen in the store (a rerun can drop an element before it runs).
    """
    if st.session_state.cookie_handoff:
        with open_store() as store:
            pending = st.session_state.session_id is not None and handoff_pending(store, st.session_state.session_id)
        code, issued = st.session_state.cookie_handoff
        if pending and time.time() - issued < HANDOFF_SECONDS:
            _post_from_browser(START_PATH, code)
        else:
            st.session_state.cookie_handoff = None
    if st.session_state.cookie_end:
        _post_from_browser(END_PATH, "")
        st.session_state.cookie_end = False


def _post_from_browser(path: str, body: str) -> None:
    script = f"fetch({json.dumps(path)}, {{method: 'POST', body: {json.dumps(body)}, credentials: 'same-origin'}})"
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)  # our own constants and a URL-safe code


def _user_from_cookie() -> dict | None:
    """The annotator whose session cookie this browser brought, if that session is still good."""
    token = st.context.cookies.get(SESSION_COOKIE)
    if not isinstance(token, str) or not token:  # (AppTest's stand-in client has no real cookies)
        return None
    with open_store() as store:
        resumed = resume_session(store, token, idle_minutes=current_project().config.app.session_idle_minutes)
    if resumed is None:
        return None
    st.session_state.session_id, annotator = resumed
    st.session_state.user = _public(annotator)
    st.session_state.last_active = st.session_state.session_touched = time.time()
    return st.session_state.user


def _user_of_session(idle_minutes: int) -> dict | None:
    """The annotator of this tab's session while it stands; activity is written every
    `TOUCH_EVERY_SECONDS`, so a reload or another tab finds the session alive."""
    touch = time.time() - st.session_state.session_touched > TOUCH_EVERY_SECONDS
    with open_store() as store:
        fresh = session_in_force(store, st.session_state.session_id, idle_minutes=idle_minutes, touch=touch)
    if fresh is None:  # the row is gone already: only this tab's state and the browser's cookie are left
        st.session_state.session_id, st.session_state.cookie_end = None, True
        with open_store() as store:
            annotator = find_annotator(store, st.session_state.user["email"])
        deactivated = annotator is None or not annotator["active"]
        sign_out("This account has been deactivated; ask your lead." if deactivated else
                 f"Your session ended: you signed out in another tab, or were idle for {idle_minutes} minutes.")  # fmt: skip
        return None
    if touch:
        st.session_state.session_touched = time.time()
    st.session_state.user = _public(fresh)
    st.session_state.last_active = time.time()
    return st.session_state.user


def _user_from_sso() -> dict | None:
    if st.user.get("email_verified") is False:
        return None  # an identity provider that says the email is unverified does not vouch for it
    with open_store() as store:
        annotator = find_annotator(store, str(st.user.email or ""))
    if annotator is None or not annotator["active"]:
        return None
    st.session_state.user = _public(annotator)
    st.session_state.last_active = time.time()
    return st.session_state.user


def _why_not_let_in(email: str) -> str:
    """The polite refusal for a single-sign-on identity that is not an active annotator."""
    if st.user.get("email_verified") is False:
        return f"Your identity provider has not verified {email}. Verify it there, then sign in again."
    with open_store() as store:
        annotator = find_annotator(store, email)
    if annotator is not None and not annotator["active"]:
        return "This account has been deactivated; ask your lead."
    return f"{email} is not registered as an annotator here. Ask your lead to add you."


def _public(annotator: dict) -> dict:
    """The annotator row without secrets, as kept in the browser session."""
    return {key: annotator[key] for key in ("id", "email", "name", "role", "active")}
