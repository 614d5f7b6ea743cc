"""An expert works in Label Studio's own labeling interface, in a real browser, on a task Flywheel
pushed; Flywheel pulls the work back. This shows the generated labeling config renders as meant
(the conversation as a dialogue, the response pre-filled for editing, the taxonomy's choices)
and that what a person submits there, not just what the API accepts, becomes a Flywheel annotation.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect, sync_playwright

from annotate.labelstudio.client import LabelStudioClient
from annotate.labelstudio.pull import pull
from annotate.labelstudio.push import push
from tests.browser import BROWSER_TEST, SCREENSHOTS, launch_chromium
from tests.conftest import make_tasks
from tests.labelstudio_server import ADMIN_TOKEN, sign_up

pytestmark = BROWSER_TEST

EXPERT, PASSWORD = "mia@ledgerly.test", "mia-label-studio-pw"


def test_an_expert_corrects_a_response_in_label_studio_and_flywheel_pulls_it(store, project, labelstudio):
    sign_up(labelstudio.url, EXPERT, PASSWORD)
    prompt = "Will I lose data if I downgrade to Starter?"
    task_id = make_tasks(store, 1, route="labelstudio", texts=lambda n: (prompt, "I'm unable to help with this request."))[0]
    client = LabelStudioClient(labelstudio.url, ADMIN_TOKEN)
    ls_project = push(store, client, project.config).projects[0].ls_project_id
    ls_task = store.task(task_id).external_id

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{labelstudio.url}/user/login/")
            page.fill('input[name="email"]', EXPERT)
            page.fill('input[name="password"]', PASSWORD)
            page.click('button[type="submit"]')
            page.wait_for_load_state("networkidle")
            page.goto(f"{labelstudio.url}/projects/{ls_project}/data?tab=0&task={ls_task}")

            expect(page.locator("[class*=phrase]").filter(has_text=prompt).first).to_be_visible()  # the conversation, as a dialogue
            region = page.get_by_test_id("textarea-region").first
            expect(region).to_contain_text("I'm unable to help with this request.")  # the pre-filled response
            expect(page.get_by_text("Personal data leak")).to_be_visible()  # a choice from the taxonomy
            page.get_by_text("Corrected (edit the response above)").click()
            page.get_by_test_id("htx-textbox-edit-button").first.click()
            editor = region.locator("textarea").first
            editor.fill("No: downgrading keeps all your data. Go to Settings > Plan > Change plan.")
            editor.press("Enter")
            page.get_by_text("Unwarranted refusal").click()
            page.get_by_text(re.compile(r"^Major")).click()
            page.locator('textarea[name="rationale"]').fill("A fair question; it refused.")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "labelstudio-correction.png"))
            page.get_by_role("button", name="Submit").click()
            deadline = time.monotonic() + 30
            while not _annotated(client, ls_project) and time.monotonic() < deadline:
                page.wait_for_timeout(250)
        finally:
            browser.close()

    report = pull(store, client, project.config)
    assert report.stored == 1 and report.invalid == [], report.invalid
    (annotation,) = store.annotations_of(task_id)
    assert annotation.source == "labelstudio" and annotation.verdict == "corrected"
    assert annotation.corrected_response == "No: downgrading keeps all your data. Go to Settings > Plan > Change plan."
    assert list(annotation.failure_categories) == ["unwarranted_refusal"] and annotation.severity == "major"
    assert annotation.rationale == "A fair question; it refused." and annotation.seconds_spent > 0
    assert store.annotator_by_id(annotation.annotator_id)["email"] == EXPERT


def _annotated(client: LabelStudioClient, ls_project: int) -> bool:
    return any(task.get("annotations") for task in client.tasks(ls_project))
