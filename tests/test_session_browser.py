"""A sign-in that survives a reload and a new tab, in a real browser, and ends when the person signs out.

The app is served as `flywheel app` serves it (`streamlit run review_server.py`), so the session
cookie is set by its own route. Chromium comes from Debian (`make browser`); without it, these skip.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from annotate.project import init_project
from annotate.review.annotators import add_annotator
from annotate.review.sessions import SESSION_COOKIE
from tests.browser import BROWSER_TEST, VIEWPORT, ReviewServer, launch_chromium, settle, sign_in

pytestmark = BROWSER_TEST

PASSWORD = "correct horse battery"
ANA = "ana@example.com"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("session-browser")
    project = init_project(root / "project", name="Session test project")
    with project.open_store() as store:
        add_annotator(store, ANA, role="annotator", password=PASSWORD)
    with ReviewServer(project, root / "streamlit.log", script="review_server.py") as running:
        yield running


def signed_in(page):
    expect(page.get_by_text("Signed in as")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)


def signed_out(page):
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_have_count(0)


def session_cookie(context) -> dict | None:
    return next((cookie for cookie in context.cookies() if cookie["name"] == SESSION_COOKIE), None)


def wait_for(condition, page, what: str) -> None:
    for _ in range(100):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(what)


def test_a_reload_and_a_new_tab_keep_the_person_signed_in_until_they_sign_out(server):
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            sign_in(page, server.url, ANA, PASSWORD)
            signed_in(page)
            wait_for(lambda: session_cookie(context) is not None, page, "the session cookie was never set")
            cookie = session_cookie(context)
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie
            assert page.evaluate("document.cookie").find(SESSION_COOKIE) == -1, "page scripts cannot read it"

            page.reload()
            signed_in(page)
            tab = context.new_page()
            tab.goto(server.url + "/history")
            signed_in(tab)
            settle(tab)

            tab.get_by_role("button", name="Sign out").click()
            signed_out(tab)
            wait_for(lambda: session_cookie(context) is None, tab, "signing out left the cookie in the browser")
            page.reload()
            signed_out(page)

            context.add_cookies([cookie])
            page.reload()
            signed_out(page)  # the old cookie, put back by hand, signs nobody in: its session is gone
        finally:
            browser.close()
