"""Untrusted text stays literal text in a real browser, on every page an expert and a lead see.

Every text field the pages show carries a payload: a markdown image pointing at a local HTTP
server this test runs (so a fetch, a tracking pixel, would be recorded), a markdown link, raw
HTML `<img>` and `<a>`, LaTeX, a bare URL and Streamlit directives. The fields: a record's system
prompt, prompt, tool message, response, model, source, feedback and metadata (ingested through
`ingest_files`), a flag's note, the annotators' names and an expert's email, a correction and the
rationales, a preference pair, the project's name, and an email a lead types into the Annotators
page. After each page (and each action's message) the test asserts that no request reached the
payload server, that no `<a>` or `<img>` points at it, that nothing rendered as KaTeX, and that
the payload reads as it was written (labels may carry invisible word joiners, U+2060).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from playwright.sync_api import expect, sync_playwright

from annotate.flagging import flag_manually
from annotate.ingest import ingest_files
from annotate.project import Project, init_project
from annotate.review.annotators import add_annotator
from annotate.review.claims import submit
from tests.browser import BROWSER_TEST, VIEWPORT, ReviewServer, launch_chromium, settle, sign_in

pytestmark = BROWSER_TEST

PASSWORD = "correct horse battery"
LEA = "lea@example.com"
TIMEOUT_MS = 20_000


class PayloadServer(ThreadingHTTPServer):
    """A loopback HTTP server that records every request (a fetched pixel, a followed link)."""

    def __init__(self):
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                server.requests.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server_address[1]}"


def payload(host: str, tag: str) -> str:
    """Every trick at once, each pointing at the payload server under `tag`."""
    return (f"{tag}: ![pixel](http://{host}/{tag}.png) $x^2$ [link](http://{host}/{tag}/link) "
            f'<img src="http://{host}/{tag}/raw.png"> <a href="http://{host}/{tag}/raw">raw</a> '
            f"http://{host}/{tag}/bare :red[red] :material/warning: *em* end")  # fmt: skip


def build_project(root, host: str) -> tuple[Project, dict[str, str]]:
    """A project whose every shown text is a payload; returns the payloads by field."""
    text = {tag: payload(host, tag) for tag in ("system", "prompt", "tool", "response", "note", "comment", "fix",
                                                "ana-why", "ben-why", "ana", "ben", "pref-prompt", "pref-a", "pref-b")}  # fmt: skip
    text["email"] = f"ana$x^2$![e](http://{host}/email.png)[l](http://{host}/email-link)@x.io"
    text["project"] = f"Project ![p](http://{host}/project.png) $x^2$ [l](http://{host}/project-link)"
    project = init_project(root / "project", name=text["project"])
    logs = root / "logs.jsonl"
    rows = [
        {"id": "correction", "messages": [{"role": "system", "content": text["system"]}, {"role": "user", "content": text["prompt"]},
                                          {"role": "assistant", "content": "Looking it up."}, {"role": "tool", "content": text["tool"]},
                                          {"role": "user", "content": text["prompt"]}],
         "response": text["response"], "model": f"m![m](http://{host}/model.png)@1", "metadata": {"note": text["note"]},
         "feedback": {"thumbs": "down", "comment": text["comment"]}},
        {"id": "open", "messages": [{"role": "user", "content": text["prompt"]}], "response": text["response"]},
        {"id": "pref-a", "messages": [{"role": "user", "content": text["pref-prompt"]}], "response": text["pref-a"]},
        {"id": "pref-b", "messages": [{"role": "user", "content": text["pref-prompt"]}], "response": text["pref-b"]},
    ]  # fmt: skip
    logs.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with project.open_store() as store:
        summary = ingest_files(store, [logs], source=f"src![s](http://{host}/source.png)")
        assert (summary.files[0].error, summary.files[0].ingested) == (None, len(rows)), summary
        ids = {row["external_id"]: row["id"] for row in store.db["records"].rows}
        for record in ids.values():
            flag_manually(store, record, text["note"])
        add_annotator(store, text["email"], role="annotator", name=text["ana"], password=PASSWORD)
        add_annotator(store, "ben@example.com", role="annotator", name=text["ben"], password=PASSWORD)
        add_annotator(store, LEA, role="lead", name="Lea", password=PASSWORD)
        round_id = store.open_round()["id"]
        task = {"origin": "test", "why": text["note"], "cluster": None, "is_gold": 0, "gold_answer": None,
                "route": "app", "round_id": round_id, "record_b_id": None}  # fmt: skip
        split, _, _ = store.insert_tasks([
            {**task, "kind": "correction", "record_id": ids["correction"], "priority": 3.0, "required_annotations": 2},
            {**task, "kind": "correction", "record_id": ids["open"], "priority": 2.0, "required_annotations": 1},
            {**task, "kind": "preference", "record_id": ids["pref-a"], "record_b_id": ids["pref-b"], "priority": 1.0,
             "required_annotations": 1},
        ])  # fmt: skip
        submit(store, split, text["email"], {"kind": "correction", "verdict": "corrected", "corrected_response": text["fix"],
                                             "failure_categories": ["factual_error"], "severity": "major",
                                             "rationale": text["ana-why"], "seconds_spent": 30.0})  # fmt: skip
        submit(store, split, "ben@example.com", {"kind": "correction", "verdict": "unusable", "rationale": text["ben-why"],
                                                 "seconds_spent": 30.0})  # fmt: skip
    return project, text


class Checker:
    """What every page must show: the payloads as text, and none of their effects."""

    def __init__(self, server: PayloadServer):
        self.server = server

    def check(self, page, where: str, *literals: str) -> None:
        settle(page)
        page.wait_for_timeout(700)  # images and lazily loaded KaTeX get their chance
        host = self.server.host
        effects = {
            "links to the payload server": page.locator(f'a[href*="{host}"]').count(),
            "mailto: links made of shown addresses": page.locator('a[href^="mailto:"]').count(),
            "images from the payload server": page.locator(f'img[src*="{host}"]').count(),
            "KaTeX": page.locator(".katex").count(),
            "requests the payload server got": len(self.server.requests),
        }
        mailto = [page.locator('a[href^="mailto:"]').nth(n).evaluate("a => a.parentElement.outerHTML.slice(0, 300)")
                  for n in range(effects["mailto: links made of shown addresses"])]  # fmt: skip
        assert not any(effects.values()), f"{where}: {effects} {self.server.requests} {mailto}"
        shown = page.inner_text("body").replace("\u2060", "")
        for literal in literals:
            assert literal in shown, f"{where}: {literal!r} is not shown as written"


def go(page, title: str, heading: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


def test_untrusted_text_is_shown_literally_on_every_page(tmp_path):
    payload_server = PayloadServer()
    threading.Thread(target=payload_server.serve_forever, daemon=True).start()
    project, text = build_project(tmp_path, payload_server.host)
    checker = Checker(payload_server)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        with ReviewServer(project, tmp_path / "streamlit.log") as server, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                context = browser.new_context(viewport=VIEWPORT)
                context.set_default_timeout(TIMEOUT_MS)
                expert = context.new_page()
                sign_in(expert, server.url, text["email"], PASSWORD)
                expect(expert.get_by_role("heading", name="Correct responses")).to_be_visible()
                checker.check(expert, "Correct", text["prompt"], text["response"], text["note"], text["email"])
                go(expert, "Compare", "Compare responses")
                checker.check(expert, "Compare", text["pref-prompt"], text["pref-a"], text["pref-b"])
                go(expert, "My work", "My work")
                checker.check(expert, "My work", " ".join(text["prompt"].split())[:80])
                expert.get_by_test_id("stExpander").first.click()
                checker.check(expert, "My work, opened", text["fix"], text["ana-why"])

                lead = browser.new_context(viewport=VIEWPORT).new_page()
                lead.set_default_timeout(TIMEOUT_MS)
                sign_in(lead, server.url, LEA, PASSWORD, path="/adjudicate")
                expect(lead.get_by_role("heading", name="Adjudicate")).to_be_visible()
                checker.check(lead, "Adjudicate", text["tool"], text["ana"], text["ben"], text["email"], text["fix"], text["ben-why"])
                reason = lead.get_by_role("textbox", name="Your reason")
                reason.fill("Ben is right.")
                reason.press("Control+Enter")
                settle(lead)
                ben = lead.get_by_test_id("stColumn").filter(has_text=text["ben-why"])
                ben.get_by_role("button", name="Pick this answer").click()
                expect(lead.get_by_text("decided: unusable")).to_be_visible()
                checker.check(lead, "Adjudicate, decided", f"({text['ben']}'s answer)")

                go(lead, "Annotators", "Annotators")
                added = f"new$x^2$![n](http://{payload_server.host}/added.png)@x.io"
                lead.get_by_role("textbox", name="Email").fill(added)
                lead.get_by_role("button", name="Add with a generated password").click()
                expect(lead.get_by_text("Their password")).to_be_visible()
                checker.check(lead, "Annotators, added", f"Added {added} as annotator.")
                go(lead, "Store overview", "Store overview")
                checker.check(lead, "Store overview", text["project"])
                go(lead, "Agreement", "Agreement")
                checker.check(lead, "Agreement")
                go(lead, "Model versions", "Model versions")
                checker.check(lead, "Model versions")
                go(lead, "Rounds", "Rounds")
                checker.check(lead, "Rounds")
            finally:
                browser.close()
    finally:
        payload_server.shutdown()
        payload_server.server_close()
