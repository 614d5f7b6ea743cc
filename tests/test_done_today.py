""""Done today" counts the answers the person made in the review app today, nothing they brought in."""

from __future__ import annotations

import json

from annotate.records import CorrectionAnswer
from annotate.review.annotators import add_annotator
from annotate.review.claims import next_task, progress_of, store_external_annotation, submit
from tests.conftest import EXPERT, make_tasks, run_page

ACCEPT = {"kind": "correction", "verdict": "acceptable"}


def test_imported_answers_and_label_studio_pulls_are_not_todays_work(store, cli, tmp_path):
    person = add_annotator(store, EXPERT)
    tasks = make_tasks(store, 6)
    path = tmp_path / "vendor.jsonl"
    path.write_text("".join(json.dumps({"task": task, "annotator": EXPERT, "answer": ACCEPT}) + "\n" for task in tasks[:3]))
    assert cli("annotations", "import", str(path)).exit_code == 0
    with store.transaction():
        store_external_annotation(store, tasks[3], person["id"], CorrectionAnswer(verdict="acceptable"),
                                  source="labelstudio", external_id="ls-1")  # fmt: skip
    assert progress_of(store, EXPERT).done_today == 0, "four answers arrived today, none made in the app"

    view = next_task(store, EXPERT)
    submit(store, view.task_id, EXPERT, ACCEPT)
    assert progress_of(store, EXPERT).done_today == 1


def test_the_workspace_shows_zero_done_on_a_first_sign_in_after_an_import(store, cli, env, tmp_path):
    add_annotator(store, EXPERT)
    tasks = make_tasks(store, 4)
    path = tmp_path / "vendor.jsonl"
    path.write_text("".join(json.dumps({"task": task, "annotator": EXPERT, "answer": ACCEPT}) + "\n" for task in tasks[:3]))
    assert cli("annotations", "import", str(path)).exit_code == 0
    page = run_page("annotate.ui.correction.correction_page", EXPERT)
    assert any("Done today: **0**" in caption.value for caption in page.caption), [c.value for c in page.caption]
