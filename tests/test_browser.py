"""The review app end to end, in a real browser: `streamlit run review_app.py` on a loopback port
and Chromium driven by Playwright, against a real project and SQLite file.

What AppTest (tests/test_review_pages.py) cannot show: the sign-in form and the workspaces as a
browser renders them, two browser sessions claiming at once, and untrusted text that must not
run as script. The run also saves screenshots of each workspace (see SCREENSHOTS below).

Chromium comes from Debian (`make browser`; `make test` runs it first); without it, these skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect, sync_playwright

from annotate.ingest.rows import to_row
from annotate.project import Project, init_project
from annotate.records import RecordIn
from annotate.review.annotators import add_annotator
from annotate.store import Store
from tests.browser import (
    BROWSER_TEST,
    SCREENSHOTS,
    VIEWPORT,
    ReviewServer,
    as_shown,
    choose,
    launch_chromium,
    screenshot,
    settle,
    sign_in,
)  # fmt: skip

pytestmark = BROWSER_TEST

PASSWORD = "correct horse battery"
ANA, BEN, EVE, LEA = "ana@example.com", "ben@example.com", "eve@example.com", "lea@example.com"
TIMEOUT_MS = 20_000

CORRECTIONS = [  # (prompt, the model's response, why it was flagged)
    ("How do I export invoices?", "Go to Settings > Billing > Export and pick CSV.",
     "Thumbs down: 'there is no Export under Billing'"),
    ("Can I change the currency of an invoice I already sent?", "Yes, edit the invoice and the total converts itself.",
     "Rated 1 of 5"),
    ("Where do I find my VAT number?", "Your VAT number is on every invoice, top left.",
     "Thumbs down: 'it is top right'"),
    ("How many users does the Team plan include?", "The Team plan includes unlimited users.", "Rated 2 of 5"),
    ("Does Ledgerly integrate with my bank?", "Ledgerly connects to over 10,000 banks via open banking.",
     "Thumbs down"),
    ("How do I delete a client?", "Open the client and choose Delete from the menu.", "Thumbs down"),
]  # fmt: skip
PREFERENCE_PROMPT = "How do I send a payment reminder?"
PREFERENCE_RESPONSES = (
    "Open the overdue invoice and click Send reminder; Ledgerly emails the client a copy with a payment link.",
    "Reminders are automatic.",
)
PAYLOAD = (
    "Hello <script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"> "
    "[click](javascript:window.__pwned=3) **bold**"
)
PAYLOAD_PROMPT = "Say hello <img src=x onerror=\"window.__pwned = 4\">"


@dataclass
class App:
    project: Project
    server: ReviewServer

    @property
    def url(self) -> str:
        return self.server.url

    def store(self) -> Store:
        """A fresh connection to the project's database (the app opens its own per page run)."""
        return self.project.open_store()

    def held_task(self, email: str, kind: str = "correction") -> int:
        """The task `email` holds a claim on, from the database."""
        with self.store() as store:
            rows = list(
                store.db.query(
                    "SELECT claims.task_id FROM claims JOIN annotators ON annotators.id = claims.annotator_id "
                    "JOIN tasks ON tasks.id = claims.task_id "
                    "WHERE annotators.email = ? AND claims.outcome = 'active' AND tasks.kind = ?",
                    [email, kind],
                )
            )
        assert len(rows) == 1, f"{email} should hold exactly one {kind} task, holds {rows}"
        return rows[0]["task_id"]


def add_tasks(store: Store, kind: str, items: list[tuple], *, priority: float, source: str = "e2e") -> list[int]:
    """Tasks on fresh records, highest priority first. Correction items are (prompt, response, why);
    preference items are (prompt, response_a, response_b)."""
    round_id = store.open_round()["id"]
    rows, tasks, flags = [], [], []
    for number, (prompt, *texts) in enumerate(items):
        responses = texts[:1] if kind == "correction" else texts
        records = [
            to_row(RecordIn(messages=[{"role": "user", "content": prompt}], response=response), source=source,
                   round_id=round_id, ingest_id=None)
            for response in responses
        ]  # fmt: skip
        rows += records
        if kind == "correction" and texts[1:]:
            flags.append((records[0][0], "negative_feedback", 1.0, texts[1]))
        tasks.append({
            "kind": kind, "record_id": records[0][0], "record_b_id": records[1][0] if kind == "preference" else None,
            "origin": "test", "priority": priority - number, "why": "", "cluster": None, "required_annotations": 1,
            "is_gold": 0, "gold_answer": None, "route": "app", "round_id": round_id,
        })  # fmt: skip
    with store.transaction():
        store.insert_new_records(rows)
    if flags:
        store.save_flags(flags)
    return store.insert_tasks(tasks)


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[App]:
    """A project with two annotators, a lead and a few tasks, served by `streamlit run` on loopback."""
    root = tmp_path_factory.mktemp("browser")
    project = init_project(root / "project", name="Browser test project")
    with project.open_store() as store:
        for email, role in ((ANA, "annotator"), (BEN, "annotator"), (EVE, "annotator"), (LEA, "lead")):
            add_annotator(store, email, role=role, password=PASSWORD)
        add_tasks(store, "correction", CORRECTIONS, priority=50)
        add_tasks(store, "preference", [(PREFERENCE_PROMPT, *PREFERENCE_RESPONSES)], priority=50)
    with ReviewServer(project, root / "streamlit.log") as server:
        yield App(project, server)


@pytest.fixture(scope="module")
def browser():
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Pages in fresh browser contexts (their own cookies, so their own Streamlit sessions)."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def correction_workspace(page):
    expect(page.get_by_role("heading", name="Correct responses")).to_be_visible()
    text_area = page.get_by_role("textbox", name="Your corrected response")
    expect(text_area).to_be_visible()
    return text_area


def test_the_sign_in_page_shows_nothing_else_and_refuses_a_wrong_password(app, new_page):
    page = new_page()
    page.goto(app.url)
    expect(page.get_by_role("heading", name="Flywheel review")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    settle(page)
    screenshot(page, SCREENSHOTS / "sign-in.png")
    assert page.get_by_text("Correct responses").count() == 0
    assert page.get_by_role("textbox", name="Your corrected response").count() == 0

    sign_in(page, app.url, ANA, "not the password")
    expect(page.get_by_text("wrong email or password")).to_be_visible()
    expect(page.get_by_role("heading", name="Correct responses")).to_have_count(0)


def test_an_annotator_corrects_a_response_in_the_browser(app, new_page):
    page = new_page()
    sign_in(page, app.url, ANA, PASSWORD)
    text_area = correction_workspace(page)
    task_id = app.held_task(ANA)
    original = text_area.input_value()
    assert original, "the text area starts as the model's response"
    corrected = f"{original.rstrip('.')}, then confirm with Export now. (corrected in the browser test)"

    text_area.fill(corrected)
    text_area.press("Control+Enter")  # a text area sends its value on Ctrl+Enter or blur
    expect(page.get_by_text("Your changes")).to_be_visible()
    expect(page.get_by_role("radio", name="Corrected")).to_be_checked()  # the verdict followed the edit
    expect(text_area).to_have_value(corrected)
    settle(page)
    choose(page, "What is wrong", "Factual error")  # what the default answer rules ask of a correction
    choose(page, "Severity", "major")
    settle(page)
    screenshot(page, SCREENSHOTS / "correction.png")

    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Saved. Here is the next one.")).to_be_visible()
    expect(page.get_by_role("textbox", name="Your corrected response")).not_to_have_value(corrected)
    with app.store() as store:
        (annotation,) = store.annotations_of(task_id)
    assert annotation.verdict == "corrected"
    assert annotation.corrected_response == corrected
    assert annotation.source == "app"
    assert annotation.seconds_spent is not None and annotation.seconds_spent >= 0
    assert app.held_task(ANA) != task_id, "the next task is another one"


def test_two_annotators_signed_in_at_once_get_different_tasks(app, new_page):
    pages = {email: new_page() for email in (ANA, BEN)}
    for email, page in pages.items():  # both forms filled first, then both submitted back to back
        page.goto(app.url)
        page.get_by_role("textbox", name="Email").fill(email)
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
    for page in pages.values():
        page.get_by_role("button", name="Sign in").click()
    shown = {email: correction_workspace(page).input_value() for email, page in pages.items()}
    held = {email: app.held_task(email) for email in pages}

    assert held[ANA] != held[BEN]
    assert shown[ANA] != shown[BEN]
    with app.store() as store:
        for email in pages:
            record = store.records_by_id([store.task(held[email]).record_id])
            assert shown[email] == next(iter(record.values()))["response"], f"{email} sees the task they hold"
    for page in pages.values():
        expect(page.get_by_text("Signed in as")).to_be_visible()
    assert as_shown("ben@example.com") in pages[BEN].get_by_test_id("stSidebar").inner_text()


def test_a_response_carrying_script_runs_nothing(app, new_page):
    with app.store() as store:
        top = next(store.db.query("SELECT MAX(priority) AS top FROM tasks"))["top"]
        (task_id,) = add_tasks(store, "correction", [(PAYLOAD_PROMPT, PAYLOAD)], priority=top + 100, source="payload")
    page = new_page()
    sign_in(page, app.url, EVE, PASSWORD)
    text_area = correction_workspace(page)
    assert app.held_task(EVE) == task_id
    expect(text_area).to_have_value(PAYLOAD)
    expect(page.get_by_text("<script>window.__pwned = 1</script>", exact=False).filter(visible=True).first).to_be_visible()
    settle(page)
    _assert_nothing_ran(page)

    # The live diff is markdown built from the same words: it must escape them too.
    text_area.fill("Hello there.")
    text_area.press("Control+Enter")
    expect(page.get_by_text("Your changes")).to_be_visible()
    settle(page)
    _assert_nothing_ran(page)


def _assert_nothing_ran(page) -> None:
    assert page.evaluate("() => window.__pwned === undefined"), "a script from the response ran"
    assert page.locator('img[src="x"]').count() == 0, "the response's <img> became an element"
    assert page.locator('a[href^="javascript:" i]').count() == 0, "the response's javascript: link became a link"
    assert page.locator("script", has_text="__pwned").count() == 0
    expect(page.get_by_text("<script>", exact=False).filter(visible=True).first).to_be_visible()
    expect(page.get_by_text("**bold**", exact=False).filter(visible=True).first).to_be_visible()


def test_the_preference_workspace_stores_a_judgment(app, new_page):
    page = new_page()
    sign_in(page, app.url, BEN, PASSWORD)
    correction_workspace(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Compare", exact=True).click()
    expect(page.get_by_role("heading", name="Compare responses")).to_be_visible()
    for response in PREFERENCE_RESPONSES:
        expect(page.get_by_text(response, exact=True)).to_be_visible()
    task_id = app.held_task(BEN, kind="preference")
    # The order is random and blind: the better response is A when it is drawn on the left.
    good, poor = (page.get_by_test_id("stText").filter(has_text=text).bounding_box() for text in PREFERENCE_RESPONSES)
    label = "A" if good["x"] < poor["x"] else "B"
    page.get_by_text(f"{label} is better", exact=True).click()
    expect(page.get_by_role("radio", name=f"{label} is better")).to_be_checked()
    settle(page)
    screenshot(page, SCREENSHOTS / "preference.png")

    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Saved. Here is the next one.")).to_be_visible()
    with app.store() as store:
        (annotation,) = store.annotations_of(task_id)
    assert (annotation.kind, annotation.choice, annotation.source) == ("preference", label.lower(), "app")
    assert annotation.seconds_spent is not None


def test_only_a_lead_reaches_the_store_overview(app, new_page):
    lead = new_page()
    sign_in(lead, app.url, LEA, PASSWORD)
    expect(lead.get_by_role("button", name="Start correcting")).to_be_visible()  # a lead claims nothing on landing
    lead.get_by_role("button", name="Start correcting").click()
    correction_workspace(lead)
    lead.get_by_test_id("stSidebarNav").get_by_text("Store overview", exact=True).click()
    expect(lead.get_by_role("heading", name="Store overview")).to_be_visible()
    lead.get_by_test_id("stSidebarNav").get_by_text("My work", exact=True).click()
    expect(lead.get_by_role("heading", name="My work")).to_be_visible()
    _route_to(lead, "/overview")  # the same URL route as the annotator's below, which does lead somewhere
    expect(lead.get_by_role("heading", name="Store overview")).to_be_visible()

    annotator = new_page()
    sign_in(annotator, app.url, ANA, PASSWORD)
    correction_workspace(annotator)
    nav = annotator.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("My work")).to_be_visible()
    expect(nav.get_by_text("Store overview")).to_have_count(0)

    # The URL inside the signed-in session: from "My work", ask the router for /overview.
    nav.get_by_text("My work").click()
    expect(annotator.get_by_role("heading", name="My work")).to_be_visible()
    _route_to(annotator, "/overview")
    _expect_no_overview(annotator)

    # The URL as a fresh page load (a bookmark): a new session, so the sign-in form comes first,
    # and after it the annotator still does not get the overview...
    annotator.goto(app.url + "/overview")
    sign_in(annotator, app.url, ANA, PASSWORD, path=None)
    _expect_no_overview(annotator)

    # ...while a lead's bookmark opens the overview once signed in.
    bookmarked = new_page()
    bookmarked.goto(app.url + "/overview")
    sign_in(bookmarked, app.url, LEA, PASSWORD, path=None)
    expect(bookmarked.get_by_role("heading", name="Store overview")).to_be_visible()


def _route_to(page, path: str) -> None:
    """Ask Streamlit's router for `path` within the session, as the browser's back and forward buttons do."""
    page.evaluate(
        "path => { history.pushState({}, '', path); dispatchEvent(new PopStateEvent('popstate', {state: {}})); }", path
    )


def _expect_no_overview(page) -> None:
    refused = page.get_by_text("This page is only for")
    expect(page.get_by_role("heading", name="Correct responses").or_(refused)).to_be_visible()
    settle(page)
    expect(page.get_by_role("heading", name="Store overview")).to_have_count(0)
    assert "Records by source and model" not in page.get_by_test_id("stMain").inner_text()
