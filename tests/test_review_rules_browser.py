"""The verdict follows the edit, in a real browser: `streamlit run review_app.py` and Chromium
driven by Playwright (tests/browser.py), against a real project and SQLite file.

AppTest (tests/test_review_rules.py) sets widget values directly; here the expert types, and the
radio the browser shows must move with the text: "Corrected" once edited, "Acceptable as is"
when the text is the model's again. The correction is then saved with the category and severity
the default answer rules ask for, chosen as an expert chooses them.
"""

from __future__ import annotations

from playwright.sync_api import expect, sync_playwright

from annotate.project import init_project
from annotate.review.annotators import add_annotator
from tests.browser import BROWSER_TEST, VIEWPORT, ReviewServer, choose, launch_chromium, settle, sign_in
from tests.test_browser import add_tasks

pytestmark = BROWSER_TEST

PASSWORD = "correct horse battery"
ANA = "ana@example.com"
PROMPT, RESPONSE = "How do I export invoices?", "Go to Settings > Billing > Export and pick CSV."
TIMEOUT_MS = 20_000


def test_the_verdict_follows_the_edit_in_a_real_browser(tmp_path):
    project = init_project(tmp_path / "project", name="Rules browser test")
    with project.open_store() as store:
        add_annotator(store, ANA, password=PASSWORD)
        (task,) = add_tasks(store, "correction", [(PROMPT, RESPONSE, "Thumbs down")], priority=10)
    expect.set_options(timeout=TIMEOUT_MS)
    with ReviewServer(project, tmp_path / "streamlit.log") as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in(page, server.url, ANA, PASSWORD)
            text_area = page.get_by_role("textbox", name="Your corrected response")
            acceptable, corrected = (page.get_by_role("radio", name=name) for name in ("Acceptable as is", "Corrected"))
            expect(text_area).to_have_value(RESPONSE)
            expect(acceptable).to_be_checked()

            text_area.fill("Go to Reports > Export and pick CSV.")
            text_area.blur()  # a text area sends its value on blur (Ctrl+Enter would also submit the answer)
            expect(corrected).to_be_checked()
            text_area.fill(RESPONSE)
            text_area.blur()
            expect(acceptable).to_be_checked()

            text_area.fill("Go to Reports > Export and pick CSV.")
            text_area.blur()
            expect(corrected).to_be_checked()
            settle(page)
            choose(page, "What is wrong", "Factual error")
            choose(page, "Severity", "major")
            settle(page)
            page.get_by_role("button", name="Submit").click()
            # the flash "Saved." lasts one page run; the empty queue after the only task stays
            expect(page.get_by_text("Nothing waiting for you here. Thank you!")).to_be_visible()
        finally:
            browser.close()
    with project.open_store() as store:
        (annotation,) = store.annotations_of(task)
    assert (annotation.verdict, annotation.corrected_response) == ("corrected", "Go to Reports > Export and pick CSV.")
    assert (list(annotation.failure_categories), annotation.severity) == (["factual_error"], "major")
