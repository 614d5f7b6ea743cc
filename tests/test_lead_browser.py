"""The lead's pages in a real browser: a lead signs in, adjudicates a split task by picking an
answer with a reason, and looks at the agreement dashboard (`streamlit run` + Chromium, as in
tests/test_browser.py). Saves `adjudication.png` and `agreement.png` to the screenshots folder."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from annotate.consensus.adjudication import adjudication_queue
from annotate.project import find_project, init_project
from annotate.review.annotators import add_annotator
from annotate.review.claims import submit
from tests.browser import (
    BROWSER_TEST,
    SCREENSHOTS,
    VIEWPORT,
    ReviewServer,
    launch_chromium,
    screenshot,
    settle,
    sign_in,
)
from tests.conftest import make_tasks

pytestmark = BROWSER_TEST

PASSWORD = "correct horse battery"
ANA, BEN, CYD, LEA = "ana@example.com", "ben@example.com", "cyd@example.com", "lea@example.com"
TIMEOUT_MS = 20_000

PROMPTS = [
    ("How do I export invoices?", "Go to Reports > Export and pick CSV."),
    ("Where do I find my VAT number?", "Your VAT number is on every invoice, top right."),
    ("How many users does the Team plan include?", "The Team plan includes 10 users."),
    ("Can I delete a client?", "Yes: open the client and choose Delete from the menu."),
]
SPLIT = (
    "Can I change the currency of an invoice I already sent?",
    "Yes, edit the invoice and the total converts itself.",
)
BEN_FIX = "No: a sent invoice keeps its currency. Void it and send a new one in the other currency."


def correction(verdict: str, text: str | None = None, rationale: str = "", seconds: float = 40.0, **extra) -> dict:
    if verdict == "unusable" and not rationale:
        rationale = "Does not answer the question."  # the default rules ask an unusable verdict for a reason
    return {"kind": "correction", "verdict": verdict, "corrected_response": text, "rationale": rationale,
            "seconds_spent": seconds, **extra}  # fmt: skip


def build_project(root: Path):
    """Three annotators and a lead; 12 overlapping tasks (ana and ben agree, cyd now and then not),
    4 gold items, and one split task waiting for the lead."""
    project = init_project(root / "project", name="Lead browser test")
    config = project.config_path.read_text()  # thin majorities stay out of the queue (tests/test_lead_queue.py)
    project.config_path.write_text(config.replace("low_agreement_below = 0.7", "low_agreement_below = 0"))
    project = find_project(project.root)  # read the config again (init_project's copy was read before the edit)
    with project.open_store() as store:
        for email, role in ((ANA, "annotator"), (BEN, "annotator"), (CYD, "annotator"), (LEA, "lead")):
            add_annotator(store, email, role=role, name=email.split("@")[0].title(), password=PASSWORD)
        shared = make_tasks(store, 12, required=3, texts=lambda n: PROMPTS[n % len(PROMPTS)])
        for number, task in enumerate(shared):
            base = "acceptable" if number % 3 else "unusable"
            other = "acceptable" if base == "unusable" else "unusable"
            for email, verdict in ((ANA, base), (BEN, base), (CYD, other if number % 4 == 0 else base)):
                submit(store, task, email, correction(verdict, seconds=20 + 5 * number))
        gold = json.dumps(correction("acceptable", seconds=None))
        for task in make_tasks(store, 4, required=3, gold_answer=gold, texts=lambda n: PROMPTS[n]):
            for email in (ANA, BEN, CYD):
                submit(store, task, email, correction("unusable" if email == CYD and task % 2 else "acceptable"))
        (split,) = make_tasks(store, 1, required=3, texts=lambda n: SPLIT)
        submit(store, split, ANA, correction("acceptable", rationale="Reads fine to me."))
        submit(store, split, BEN, correction("corrected", BEN_FIX, "A sent invoice cannot change currency.",
                                             failure_categories=["factual_error"], severity="major"))  # fmt: skip
        submit(store, split, CYD, correction("unusable", rationale="Needs the billing team."))
    return project, split


def test_a_lead_adjudicates_in_the_browser_and_sees_the_dashboard(tmp_path):
    project, split = build_project(tmp_path)
    expect.set_options(timeout=TIMEOUT_MS)
    with ReviewServer(project, tmp_path / "streamlit.log") as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            sign_in(page, server.url, LEA, PASSWORD, path="/adjudicate")
            expect(page.get_by_role("heading", name="Adjudicate")).to_be_visible()
            expect(page.get_by_role("heading", name=f"Task #{split} (correction)")).to_be_visible()
            expect(page.get_by_text(BEN_FIX, exact=True)).to_be_visible()

            reason = page.get_by_role("textbox", name="Your reason")
            reason.fill("Ben is right: a sent invoice keeps its currency.")
            reason.press("Control+Enter")  # a text area sends its value on Ctrl+Enter or blur
            settle(page)
            screenshot(page, SCREENSHOTS / "adjudication.png")

            ben = page.get_by_test_id("stColumn").filter(has_text=BEN_FIX)
            ben.get_by_role("button", name="Pick this answer").click()
            expect(page.get_by_text(f"Task #{split} decided: corrected")).to_be_visible()
            expect(page.get_by_text("Nothing to adjudicate")).to_be_visible()
            with project.open_store() as store:
                (decision,) = store.adjudication_history(split)
                ben_answer = next(row for row in store.task_answers(split) if row.email == BEN)
                assert adjudication_queue(store, project.config).empty
            assert (decision.method, decision.picked_annotation_id, decision.lead_email) == (
                "picked",
                ben_answer.id,
                LEA,
            )
            assert decision.reason == "Ben is right: a sent invoice keeps its currency."
            assert decision.answer["corrected_response"] == BEN_FIX

            page.get_by_test_id("stSidebarNav").get_by_text("Agreement", exact=True).click()
            expect(page.get_by_role("heading", name="Agreement per field")).to_be_visible()
            expect(page.get_by_role("heading", name="Cohen's kappa per pair of annotators")).to_be_visible()
            expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(3)  # per field, kappa, gold (one week: said in words)
            settle(page)
            page.wait_for_timeout(1000)  # charts draw after the script ends
            screenshot(page, SCREENSHOTS / "agreement.png")
        finally:
            browser.close()
