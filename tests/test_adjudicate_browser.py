"""Bug 1 in a real browser: the conflicts an engineer's export preview finds ("left out until a lead
settles them") are in the lead's Adjudicate queue, with the answers they conflict with
(`streamlit run` + Chromium, as in tests/test_browser.py)."""

from __future__ import annotations

from playwright.sync_api import expect, sync_playwright

from annotate.project import init_project
from annotate.review.annotators import add_annotator
from annotate.review.claims import submit
from tests.browser import BROWSER_TEST, VIEWPORT, ReviewServer, launch_chromium, settle, sign_in
from tests.conftest import EXPERT, OTHER, make_tasks
from tests.test_conflict_queue import ANSWERS, LEAD, PROMPTS

pytestmark = BROWSER_TEST

PASSWORD = "correct horse battery"
ENGINEER = "eng@x.test"
TIMEOUT_MS = 20_000


def test_a_conflict_the_export_preview_finds_waits_on_adjudicate(tmp_path):
    project = init_project(tmp_path / "project", name="Conflict browser test")
    with project.open_store() as store:
        for email, role in ((EXPERT, "annotator"), (OTHER, "annotator"), (LEAD, "lead"), (ENGINEER, "engineer")):
            add_annotator(store, email, role, password=PASSWORD)
        tasks = make_tasks(store, 3, texts=lambda number: (PROMPTS[number], "I am not sure."))
        for number, task in enumerate(tasks):
            submit(store, task, EXPERT if number != 1 else OTHER, {
                "kind": "correction", "verdict": "corrected", "failure_categories": ["incomplete"], "severity": "minor",
                "corrected_response": ANSWERS[number]})  # fmt: skip
    expect.set_options(timeout=TIMEOUT_MS)
    with ReviewServer(project, tmp_path / "streamlit.log") as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            engineer = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in(engineer, server.url, ENGINEER, PASSWORD, path="/export")
            engineer.get_by_role("button", name="Preview").click()
            expect(engineer.get_by_text("1 conflicts wait")).to_be_visible()

            lead = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in(lead, server.url, LEAD, PASSWORD, path="/adjudicate")
            expect(lead.get_by_role("heading", name=f"Task #{tasks[0]} (correction)")).to_be_visible()
            settle(lead)
            expect(lead.get_by_text("conflict 1 (sft)").filter(visible=True).first).to_be_visible()  # why it needs the lead
            expect(lead.get_by_text(ANSWERS[1], exact=True).filter(visible=True).first).to_be_visible()  # the answer it conflicts with
        finally:
            browser.close()
