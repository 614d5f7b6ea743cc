"""The workspaces' keyboard shortcuts (annotate/ui/hotkeys.py) in a real browser: Chromium driven by
Playwright against `streamlit run review_app.py` on a real project and SQLite file.

On *Correct* 1/2/3 choose the verdict, Ctrl+Enter submits and S opens the skip reason; on *Compare*
1 to 4 choose the judgment; on *My work* J and K move through the list. Keys typed into a text
field stay text. Chromium comes from Debian (`make browser`); without it, these skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from annotate.project import init_project
from annotate.review.annotators import add_annotator
from annotate.review.claims import next_task, submit
from tests.browser import BROWSER_TEST, ReviewServer, sign_in
from tests.test_browser import App, add_tasks, browser, new_page  # noqa: F401 (the browser and its pages, shared)

pytestmark = BROWSER_TEST

PASSWORD = "correct horse battery"
ANA, BEN, CAL = "ana@example.com", "ben@example.com", "cal@example.com"
CORRECTIONS = [
    ("How do I export invoices?", "Go to Settings > Billing > Export and pick CSV.", "Thumbs down"),
    ("Where do I find my VAT number?", "Your VAT number is on every invoice, top left.", "Thumbs down"),
    ("How do I delete a client?", "Open the client and choose Delete from the menu.", "Rated 1 of 5"),
]
PREFERENCE = ("How do I send a payment reminder?", "Open the invoice and click Send reminder.", "Reminders are automatic.")
UNUSABLE = "Unusable (needs another expert)"


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[App]:
    """Two experts with tasks to do, and a third with three answered tasks in *My work*."""
    root = tmp_path_factory.mktemp("hotkeys")
    project = init_project(root / "project", name="Hotkeys test project")
    with project.open_store() as store:
        for email in (ANA, BEN, CAL):
            add_annotator(store, email, role="annotator", password=PASSWORD)
        done = add_tasks(store, "correction", [(f"Earlier question {n}?", f"Earlier answer {n}.") for n in range(3)],
                         priority=100, source="done")  # fmt: skip
        for task in done:
            assert next_task(store, CAL, "correction").task_id == task
            submit(store, task, CAL, {"kind": "correction", "verdict": "acceptable", "rationale": f"fine {task}"})
        add_tasks(store, "correction", CORRECTIONS, priority=50)
        add_tasks(store, "preference", [PREFERENCE], priority=50)
    with ReviewServer(project, root / "streamlit.log") as server:
        yield App(project, server)


@pytest.fixture
def page(new_page):
    return new_page()


def keys_ready(page) -> None:
    """Wait until the page's script run has ended and its keys listen."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached")
    page.wait_for_function("() => typeof window.__flywheelKeys === 'function'")


def press(page, key: str) -> None:
    """`key` pressed with the focus on the page itself (no field), as an expert reading the task would."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press(key)


def signed_in_on_correct(app: App, page) -> None:
    sign_in(page, app.url, ANA, PASSWORD)
    expect(page.get_by_role("heading", name="Correct responses")).to_be_visible()
    keys_ready(page)


def test_number_keys_choose_the_verdict_and_ctrl_enter_submits_but_typing_stays_text(app, page):
    signed_in_on_correct(app, page)
    expect(page.get_by_text("Keys: 1 Acceptable · 2 Corrected · 3 Unusable · Ctrl+Enter submit · S skip")).to_be_visible()
    task_id = app.held_task(ANA)
    expect(page.get_by_text(f"Task #{task_id}", exact=True)).to_be_visible()

    press(page, "3")
    expect(page.get_by_role("radio", name=UNUSABLE)).to_be_checked()
    keys_ready(page)
    press(page, "1")
    expect(page.get_by_role("radio", name="Acceptable as is")).to_be_checked()
    keys_ready(page)

    rationale = page.locator(f".st-key-rationale-{task_id} textarea")
    rationale.click()
    page.keyboard.type("3 of 3 steps are right")  # the 3 is text here, not the verdict
    expect(rationale).to_have_value("3 of 3 steps are right")
    expect(page.get_by_role("radio", name="Acceptable as is")).to_be_checked()
    expect(page.get_by_role("radio", name=UNUSABLE)).not_to_be_checked()

    page.keyboard.press("Control+Enter")  # from inside the text area: its text goes with the answer
    expect(page.get_by_text("Saved. Here is the next one.")).to_be_visible()
    with app.store() as store:
        (annotation,) = store.annotations_of(task_id)
    assert (annotation.verdict, annotation.rationale) == ("acceptable", "3 of 3 steps are right")
    assert app.held_task(ANA) != task_id


def test_s_opens_the_skip_reason_and_the_button_works_without_enter(app, page):
    signed_in_on_correct(app, page)
    task_id = app.held_task(ANA)
    press(page, "s")
    reason = page.get_by_role("textbox", name="Why skip?")
    expect(reason).to_be_focused()
    page.keyboard.type("needs a payroll expert")  # an s typed here is text, not another skip
    expect(reason).to_have_value("needs a payroll expert")
    page.get_by_role("button", name="Skip this task").click()
    expect(page.get_by_text("Skipped.", exact=True)).to_be_visible()
    with app.store() as store:
        claim = next(store.db.query("SELECT outcome, reason FROM claims WHERE task_id = ? AND outcome != 'active'", [task_id]))
    assert claim == {"outcome": "skipped", "reason": "needs a payroll expert"}


def test_number_keys_choose_a_judgment_on_compare(app, page):
    sign_in(page, app.url, BEN, PASSWORD)
    expect(page.get_by_role("heading", name="Correct responses")).to_be_visible()
    page.get_by_test_id("stSidebarNav").get_by_text("Compare", exact=True).click()
    expect(page.get_by_role("heading", name="Compare responses")).to_be_visible()
    expect(page.get_by_text("Keys: 1 A · 2 B · 3 tie · 4 both bad · Ctrl+Enter submit · S skip")).to_be_visible()
    keys_ready(page)
    task_id = app.held_task(BEN, kind="preference")
    press(page, "4")
    expect(page.get_by_role("radio", name="Both are bad")).to_be_checked()
    keys_ready(page)
    press(page, "2")
    expect(page.get_by_role("radio", name="B is better")).to_be_checked()
    keys_ready(page)
    press(page, "Control+Enter")
    expect(page.get_by_text("Saved. Here is the next one.")).to_be_visible()
    with app.store() as store:
        (annotation,) = store.annotations_of(task_id)
    assert annotation.choice == "b"


def test_j_and_k_move_through_my_work_but_not_while_searching(app, page):
    sign_in(page, app.url, CAL, PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_text("My work", exact=True).click()
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    expect(page.get_by_text("Keys: J next · K previous")).to_be_visible()
    keys_ready(page)
    rows = page.get_by_test_id("stMain").locator('[data-testid="stExpander"] details').filter(has_text="Earlier question")
    rows = [row for row in rows.all() if row.evaluate("details => !details.parentElement.closest('details')")]
    assert len(rows) == 3

    def expect_open(*states: bool) -> None:
        for row, state in zip(rows, states, strict=True):
            expect(row).to_have_js_property("open", state)

    press(page, "j")
    expect(rows[0].get_by_text("Your rationale")).to_be_visible()
    expect_open(True, False, False)
    press(page, "j")
    expect(rows[1].get_by_text("Your rationale")).to_be_visible()
    expect_open(False, True, False)
    press(page, "k")
    expect(rows[0].get_by_text("Your rationale")).to_be_visible()
    expect_open(True, False, False)

    search = page.get_by_role("textbox", name="Search your answers")
    search.click()
    page.keyboard.type("jk")
    expect(search).to_have_value("jk")
    page.wait_for_timeout(500)  # time for a key to act, had it acted
    expect_open(True, False, False)  # J and K typed into the search box move nothing
