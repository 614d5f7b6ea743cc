"""Sessions that survive a reload: a one-time handoff becomes an HttpOnly cookie's token, which signs
the person back in only while the session is fresh, untampered and the account in good standing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from annotate.clock import utc_now
from annotate.errors import SignInError
from annotate.review.annotators import OPERATOR, add_annotator, deactivate
from annotate.review.auth import sign_in
from annotate.review.sessions import (
    HANDOFF_SECONDS, MAX_SESSION_HOURS, SESSION_COOKIE, end_session, exchange_handoff, resume_session, session_in_force,
    start_session,
)  # fmt: skip
from annotate.ui.session_routes import END_PATH, ROUTES, START_PATH
from tests.conftest import EXPERT, REPO

PASSWORD = "correct horse battery"
IDLE = 60  # minutes


@pytest.fixture
def ana(store):
    return add_annotator(store, EXPERT, password=PASSWORD)


def signed_in_token(store, ana, now=None) -> str:
    _, code = start_session(store, ana["id"], idle_minutes=IDLE, now=now)
    return exchange_handoff(store, code, now=now)


def test_a_handed_off_token_signs_the_person_back_in(store, ana):
    token = signed_in_token(store, ana)
    session_id, annotator = resume_session(store, token, idle_minutes=IDLE)
    assert annotator["email"] == EXPERT and "password_hash" not in annotator
    assert session_id == store.session_by_token(__import__("hashlib").sha256(token.encode()).hexdigest())["id"]


def test_a_handoff_code_works_once_and_only_while_fresh(store, ana):
    _, code = start_session(store, ana["id"], idle_minutes=IDLE)
    assert exchange_handoff(store, code) is not None
    assert exchange_handoff(store, code) is None, "a second exchange of the same code"
    now = utc_now()
    _, late = start_session(store, ana["id"], idle_minutes=IDLE, now=now)
    assert exchange_handoff(store, late, now=now + timedelta(seconds=HANDOFF_SECONDS + 1)) is None


def test_the_store_keeps_neither_the_code_nor_the_token(store, project, ana):
    _, code = start_session(store, ana["id"], idle_minutes=IDLE)
    token = exchange_handoff(store, code)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = project.db_path.read_bytes()
    assert code.encode() not in data and token.encode() not in data


@pytest.mark.parametrize("tamper", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: t + "x", lambda t: "", lambda t: "x" * 43])
def test_an_altered_or_made_up_token_signs_nobody_in(store, ana, tamper):
    token = signed_in_token(store, ana)
    assert resume_session(store, tamper(token), idle_minutes=IDLE) is None
    assert resume_session(store, token, idle_minutes=IDLE) is not None, "the real one still works"


def test_a_session_idle_past_the_timeout_is_refused_and_removed(store, ana):
    now = utc_now()
    token = signed_in_token(store, ana, now=now)
    assert resume_session(store, token, idle_minutes=IDLE, now=now + timedelta(minutes=IDLE - 1)) is not None
    later = now + timedelta(minutes=IDLE - 1) + timedelta(minutes=IDLE + 1)  # idle since the last resume
    assert resume_session(store, token, idle_minutes=IDLE, now=later) is None
    assert resume_session(store, token, idle_minutes=IDLE, now=now) is None, "deleted, not merely out of date"


def test_activity_keeps_a_session_alive_only_up_to_its_maximum_age(store, ana):
    now = utc_now()
    token = signed_in_token(store, ana, now=now)
    for minutes in range(50, MAX_SESSION_HOURS * 60, 50):  # active every 50 minutes, within the 60-minute idle limit
        assert resume_session(store, token, idle_minutes=IDLE, now=now + timedelta(minutes=minutes)) is not None
    assert resume_session(store, token, idle_minutes=IDLE, now=now + timedelta(hours=MAX_SESSION_HOURS, minutes=1)) is None


def test_a_locked_account_cookie_no_longer_signs_in(store, ana):
    token = signed_in_token(store, ana)
    for _ in range(3):
        with pytest.raises(SignInError):
            sign_in(store, EXPERT, "wrong password", max_failed=3, lockout_minutes=15)
    assert resume_session(store, token, idle_minutes=IDLE) is None


def test_a_deactivated_or_removed_account_cookie_no_longer_signs_in(store, ana):
    token = signed_in_token(store, ana)
    deactivate(store, EXPERT, by=OPERATOR)
    assert resume_session(store, token, idle_minutes=IDLE) is None
    other = add_annotator(store, "ben@x.test", password=PASSWORD)
    token = signed_in_token(store, other)
    with store.transaction():
        store.db.execute("DELETE FROM claims WHERE annotator_id = ?", [other["id"]])
        store.db.execute("DELETE FROM annotators WHERE id = ?", [other["id"]])
    assert resume_session(store, token, idle_minutes=IDLE) is None


def test_signing_out_ends_the_session_for_good(store, ana):
    session_id, code = start_session(store, ana["id"], idle_minutes=IDLE)
    token = exchange_handoff(store, code)
    end_session(store, session_id)
    assert resume_session(store, token, idle_minutes=IDLE) is None


@pytest.fixture
def client(env):
    with TestClient(Starlette(routes=ROUTES), base_url="http://127.0.0.1:8501") as client:
        yield client


SAME_ORIGIN = {"Origin": "http://127.0.0.1:8501"}


def test_the_start_route_sets_an_http_only_strict_cookie_once(store, ana, client):
    _, code = start_session(store, ana["id"], idle_minutes=IDLE)
    response = client.post(START_PATH, content=code, headers=SAME_ORIGIN)
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert f"Max-Age={MAX_SESSION_HOURS * 3600}" in cookie and "Secure" not in cookie
    token = response.cookies[SESSION_COOKIE]
    assert resume_session(store, token, idle_minutes=IDLE)[1]["email"] == EXPERT
    assert client.post(START_PATH, content=code, headers=SAME_ORIGIN).status_code == 409


def test_the_routes_refuse_another_origin(store, ana, client):
    _, code = start_session(store, ana["id"], idle_minutes=IDLE)
    assert client.post(START_PATH, content=code, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post(START_PATH, content=code).status_code == 403, "no Origin at all"
    assert client.post(START_PATH, content=code, headers=SAME_ORIGIN).status_code == 204, "the code was not spent"


def test_the_end_route_deletes_the_session_and_expires_the_cookie(store, ana, client):
    _, code = start_session(store, ana["id"], idle_minutes=IDLE)
    token = client.post(START_PATH, content=code, headers=SAME_ORIGIN).cookies[SESSION_COOKIE]
    response = client.post(END_PATH, headers=SAME_ORIGIN)
    assert response.status_code == 204 and 'flywheel_session=""' in response.headers["set-cookie"]
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert resume_session(store, token, idle_minutes=IDLE) is None


def test_signing_in_through_the_form_starts_a_session_and_signing_out_ends_it(store, ana, env):
    app = AppTest.from_file(str(REPO / "review_app.py"), default_timeout=30).run()
    app.text_input(key="sign_in_email").input(EXPERT)
    app.text_input(key="sign_in_password").input(PASSWORD)
    app.button[0].click().run()
    assert not app.exception
    (session,) = store.db.query("SELECT * FROM sessions")
    assert session["annotator_id"] == ana["id"] and session["handoff_hash"] is not None
    assert app.session_state["session_id"] == session["id"]
    assert app.session_state["cookie_handoff"] is not None, "the browser is still to fetch its cookie"

    next(button for button in app.sidebar.button if button.label == "Sign out").click().run()
    assert list(store.db.query("SELECT * FROM sessions")) == []
    assert app.session_state["user"] is None and app.session_state["cookie_end"] is False, "told the browser"


def test_an_open_tab_follows_its_session_a_lock_stops_only_new_resumes(store, ana):
    session_id, code = start_session(store, ana["id"], idle_minutes=IDLE)
    token = exchange_handoff(store, code)
    assert session_in_force(store, session_id, idle_minutes=IDLE, touch=False)["email"] == EXPERT
    for _ in range(3):
        with pytest.raises(SignInError):
            sign_in(store, EXPERT, "wrong password", max_failed=3, lockout_minutes=15)
    assert session_in_force(store, session_id, idle_minutes=IDLE, touch=False) is not None, "the open tab goes on"
    assert resume_session(store, token, idle_minutes=IDLE) is None, "a reload is refused while locked"
    assert session_in_force(store, session_id, idle_minutes=IDLE, touch=False) is None, "and the session is over"


def test_a_session_idle_in_every_tab_ends_activity_in_one_keeps_it(store, ana):
    now = utc_now()
    session_id, _ = start_session(store, ana["id"], idle_minutes=IDLE, now=now)
    later = now + timedelta(minutes=IDLE - 5)
    assert session_in_force(store, session_id, idle_minutes=IDLE, touch=True, now=later) is not None
    assert session_in_force(store, session_id, idle_minutes=IDLE, touch=False, now=later + timedelta(minutes=IDLE - 5)) is not None
    assert session_in_force(store, session_id, idle_minutes=IDLE, touch=False, now=later + timedelta(minutes=IDLE + 1)) is None


def test_signing_out_in_one_tab_signs_the_other_tab_out_at_its_next_run(store, ana, env):
    first = AppTest.from_file(str(REPO / "review_app.py"), default_timeout=30).run()
    first.text_input(key="sign_in_email").input(EXPERT)
    first.text_input(key="sign_in_password").input(PASSWORD)
    first.button[0].click().run()
    other = AppTest.from_file(str(REPO / "review_app.py"), default_timeout=30)
    other.session_state["user"] = first.session_state["user"]  # what the cookie's resume puts there
    other.session_state["session_id"] = first.session_state["session_id"]
    other.session_state["last_active"] = first.session_state["last_active"]
    other.run()
    assert any("Signed in as" in caption.value for caption in other.sidebar.caption)

    next(button for button in first.sidebar.button if button.label == "Sign out").click().run()
    other.run()
    assert other.session_state["user"] is None and "signed out in another tab" in other.info[0].value
    assert other.session_state["cookie_end"] is False, "the other tab told its browser to drop the cookie too"
