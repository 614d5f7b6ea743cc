"""Gold items look like any other task in a real browser (issue 22, bug 4): a gold task whose
record nobody flagged and an ordinary flagged task show the same sections, the "Why am I looking
at this?" box included. `streamlit run` on loopback, Chromium through Playwright.
Chromium comes from Debian (`make browser`); without it, this skips."""

from __future__ import annotations

import json

from playwright.sync_api import expect, sync_playwright

from annotate.ingest.rows import to_row
from annotate.project import init_project
from annotate.records import RecordIn
from annotate.review.annotators import add_annotator
from tests.browser import BROWSER_TEST, VIEWPORT, ReviewServer, launch_chromium, settle, sign_in

pytestmark = BROWSER_TEST
PASSWORD = "gold browser pass"
GOLD_EXPERT, EXPERT = "gina@example.com", "omar@example.com"
# The page's sections: every Streamlit element's test id in the main area, and the labels experts read on its
# expanders, popovers and buttons (not the record's own words, which differ from task to task).
SECTIONS_JS = """() => Array.from(document.querySelectorAll('[data-testid="stMain"] [data-testid]'))
    .filter(e => !e.closest('[data-testid="stCode"]'))
    .map(e => ['stExpander', 'stPopover', 'stButton'].includes(e.dataset.testid)
               ? e.dataset.testid + ':' + (e.querySelector('summary, button')?.innerText || '')
                   .replace(/keyboard_arrow_\w+|expand_\w+/g, '').trim()
               : e.dataset.testid)"""


def _task(store, prompt: str, response: str, *, gold: bool, flag: str | None, priority: float) -> int:
    round_id = store.open_round()["id"]
    row = to_row(RecordIn(messages=[{"role": "user", "content": prompt}], response=response), source="e2e",
                 round_id=round_id, ingest_id=None)  # fmt: skip
    with store.transaction():
        store.insert_new_records([row])
    if flag:
        store.save_flags([(row[0], "negative_feedback", 1.0, flag)])
    answer = json.dumps({"kind": "correction", "verdict": "acceptable"}) if gold else None
    return store.insert_tasks([{
        "kind": "correction", "record_id": row[0], "record_b_id": None, "origin": "gold" if gold else "test",
        "priority": priority, "why": "", "cluster": None, "required_annotations": 1, "is_gold": int(gold),
        "gold_answer": answer, "route": "app", "round_id": round_id,
    }])[0]  # fmt: skip


def test_a_gold_task_and_an_ordinary_task_show_the_same_sections(tmp_path):
    project = init_project(tmp_path / "project", name="Gold look-alike")
    with project.open_store() as store:
        for email in (GOLD_EXPERT, EXPERT):
            add_annotator(store, email, password=PASSWORD)
        gold = _task(store, "How long does a refund take?", "Five to ten business days.", gold=True, flag=None, priority=2)
        _task(store, "Can I add a second bank feed on Starter?", "Yes, as many as you like.", gold=False,
              flag="thumbs down; rated 1/5", priority=1)  # fmt: skip
    sections = {}
    with ReviewServer(project, tmp_path / "streamlit.log") as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for email in (GOLD_EXPERT, EXPERT):  # the first takes the gold task (higher priority), the second the other
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            sign_in(page, server.url, email, PASSWORD)
            expect(page.get_by_role("heading", name="Correct responses")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("Why am I looking at this?")).to_be_visible()
            settle(page)
            sections[email] = page.evaluate(SECTIONS_JS)
            context.close()
        browser.close()
    with project.open_store() as store:
        held = {row["email"]: row["task_id"] for row in store.db.query(
            "SELECT annotators.email, claims.task_id FROM claims JOIN annotators ON annotators.id = claims.annotator_id")}
    assert held[GOLD_EXPERT] == gold and held[EXPERT] != gold
    assert "stExpander:Details (as the checks wrote them)" in sections[GOLD_EXPERT]
    assert sections[GOLD_EXPERT] == sections[EXPERT]
