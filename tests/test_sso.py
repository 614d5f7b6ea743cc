"""Single sign-on end to end: the review app (`streamlit run`) against a real local OpenID Connect
provider (oidc-provider-mock), driven in headless Chromium.

A registered annotator who signs in at the provider lands in the workspace with her role from the
annotators table; an email that is not registered is asked to see its lead and gets nothing else;
signing out ends the single-sign-on session too.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator

import pytest

from annotate.project import init_project
from annotate.review.annotators import add_annotator
from tests.conftest import REPO, make_tasks
from tests.browser import as_shown

_MISSING = [
    reason
    for reason, missing in [
        ("Chromium is not installed at /usr/bin/chromium", not os.access("/usr/bin/chromium", os.X_OK)),
        ("playwright is not installed", importlib.util.find_spec("playwright") is None),
        ("oidc-provider-mock is not installed", importlib.util.find_spec("oidc_provider_mock") is None),
        ("Authlib (streamlit[auth]) is not installed", importlib.util.find_spec("authlib") is None),
    ]
    if missing
]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(_MISSING), reason="; ".join(_MISSING) or "-"),
    # The mock provider still uses Authlib's deprecated JOSE API; not ours to fix.
    pytest.mark.filterwarnings("ignore:authlib.jose module is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*"),
]
if not _MISSING:
    # Authlib puts an "always" filter for its deprecation warnings in front of all others when it is
    # first imported; importing it now, before any test runs, lets the filters above take precedence.
    import authlib.deprecate  # noqa: F401

ANA = "ana@example.com"
STRANGER = "stranger@example.com"
WAIT_MS = 30_000  # every wait in the browser is bounded by this
SSO_BUTTON = "Sign in with single sign-on"
# Requests off loopback are refused in the browser; the one expected (and harmless) is the mock
# provider's own page linking a stylesheet from a CDN. The review app itself fetches nothing.
KNOWN_OFF_LOOPBACK = ("https://cdn.jsdelivr.net/npm/@picocss/",)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    from tests.sso_support import free_port, oidc_provider, streamlit_app, write_auth_secrets

    root = tmp_path_factory.mktemp("sso")
    project = init_project(root / "project", name="sso test")
    with project.open_store() as store:
        add_annotator(store, ANA)  # role annotator, no password: SSO only
        make_tasks(store, 2)
    workdir = root / "app"
    workdir.mkdir()
    users = {email: {"email": email, "email_verified": True} for email in (ANA, STRANGER)}
    with oidc_provider(users) as provider:
        port = free_port()
        write_auth_secrets(workdir, app_port=port, provider=provider)
        env = {"FLYWHEEL_PROJECT": str(project.root), "FLYWHEEL_DB": str(project.db_path)}
        with streamlit_app(REPO / "review_app.py", workdir=workdir, port=port, env=env) as app_url:
            yield {"app": app_url, "provider": provider, "log": workdir / "streamlit.log"}


@pytest.fixture(scope="module")
def browser(servers) -> Iterator[object]:
    from tests.sso_support import chromium

    with chromium() as opened:
        yield opened


@pytest.fixture
def page(browser, servers) -> Iterator[object]:
    """A fresh browser context (no cookies) per test; requests off loopback are refused."""
    from tests.sso_support import log_tail, loopback_only

    blocked: list[str] = []
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    loopback_only(context, blocked)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()
        unexpected = [url for url in blocked if not url.startswith(KNOWN_OFF_LOOPBACK)]
        assert not unexpected, f"the pages tried to reach the network: {unexpected}\n{log_tail(servers['log'])}"


def _wait_for_url(page, servers: dict, url, what: str) -> None:
    """Wait (bounded) until the browser is at `url`; on timeout, fail saying where it is instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from tests.sso_support import log_tail

    try:
        page.wait_for_url(url, timeout=WAIT_MS)
    except PlaywrightTimeout:
        try:
            text = page.locator("body").inner_text(timeout=2_000)[:800]
        except PlaywrightTimeout:
            text = "(no page text)"
        pytest.fail(f"{what}: still at {page.url} after {WAIT_MS // 1000} s\npage text: {text}\n"
                    f"streamlit log:\n{log_tail(servers['log'])}")  # fmt: skip


def _back_at_app(servers: dict):
    return re.compile(re.escape(servers["app"]) + r"/?(\?.*)?$")


def _sign_in_at_provider(page, servers: dict, subject: str) -> None:
    """From the app's sign-in page: the SSO button, the provider's form, back to the app."""
    from playwright.sync_api import expect

    page.goto(servers["app"], wait_until="domcontentloaded")
    button = page.get_by_role("button", name=SSO_BUTTON)
    expect(button, "the sign-in page should offer single sign-on").to_be_visible(timeout=WAIT_MS)
    button.click()
    _wait_for_url(
        page, servers, f"{servers['provider']}/oauth2/authorize**", "the SSO button should lead to the provider"
    )
    page.locator("input[name=sub]").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    _wait_for_url(page, servers, _back_at_app(servers), f"the provider should send {subject} back to the app")


def test_registered_annotator_signs_in_with_sso(page, servers) -> None:
    from playwright.sync_api import expect

    _sign_in_at_provider(page, servers, ANA)
    workspace = page.get_by_role("heading", name="Correct responses")
    expect(workspace, f"{ANA} should land in the correction workspace").to_be_visible(timeout=WAIT_MS)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar, "the sidebar should name the SSO user and her role from the annotators table").to_contain_text(
        as_shown(f"Signed in as {ANA} (annotator)"), timeout=WAIT_MS
    )
    expect(page.get_by_role("button", name=SSO_BUTTON), "no sign-in button once signed in").to_have_count(0)


def test_unregistered_email_is_sent_to_its_lead(page, servers) -> None:
    from playwright.sync_api import expect

    _sign_in_at_provider(page, servers, STRANGER)
    message = as_shown(f"{STRANGER} is not registered as an annotator here. Ask your lead to add you.")
    expect(page.get_by_text(message), "an unregistered email should be asked to see its lead").to_be_visible(
        timeout=WAIT_MS
    )
    # The page has fully rendered by now (its Sign out button comes after the message).
    expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=WAIT_MS)
    nothing_else = f"{STRANGER} must not get the workspace or any page"
    expect(page.get_by_role("heading", name="Correct responses"), nothing_else).to_have_count(0)
    expect(page.get_by_text("Signed in as"), nothing_else).to_have_count(0)
    expect(page.get_by_test_id("stSidebar"), nothing_else).to_have_count(0)


def test_sign_out_ends_the_sso_session(page, servers) -> None:
    from playwright.sync_api import expect

    _sign_in_at_provider(page, servers, ANA)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text(as_shown(f"Signed in as {ANA} (annotator)"), timeout=WAIT_MS)
    sidebar.get_by_role("button", name="Sign out").click()
    # Streamlit logs out at the provider too (its end_session endpoint), which asks to confirm.
    _wait_for_url(page, servers, f"{servers['provider']}/oauth2/end_session**", "sign-out should end the SSO session")
    page.get_by_role("button", name="End session").click()
    _wait_for_url(page, servers, _back_at_app(servers), "the provider should send the browser back to the app")
    signed_out = "after signing out the sign-in page should be back"
    expect(page.get_by_role("button", name=SSO_BUTTON), signed_out).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Signed in as"), signed_out).to_have_count(0)
    # The identity cookie is gone: a fresh load is still signed out.
    page.reload(wait_until="domcontentloaded")
    still_out = "a reload after signing out should not sign the user back in"
    expect(page.get_by_role("button", name=SSO_BUTTON), still_out).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="Correct responses"), still_out).to_have_count(0)
