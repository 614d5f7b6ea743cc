"""A pull lists the changed tasks, then fetches their annotations through the server's JSON export
in requests of `EXPORT_TASKS` tasks: spread over several requests, it stores each annotation once,
an edit made between two requests is caught by the next pull, and a re-pull adds nothing. Against
the real server (tests/labelstudio_server.py)."""

from __future__ import annotations

import pytest
from label_studio_sdk import LabelStudio

import annotate.labelstudio.pull
from annotate.labelstudio.client import LabelStudioClient
from annotate.labelstudio.pull import pull
from annotate.labelstudio.push import push
from tests.conftest import make_tasks
from tests.labelstudio_server import ADMIN_TOKEN, sign_up
from tests.test_labelstudio import correction_result, ls_task_ids

EXPERT = "lin@ledgerly.test"


@pytest.fixture(scope="module")
def expert(labelstudio) -> LabelStudio:
    """An expert who joined through the invite link, annotating with their own token."""
    return LabelStudio(base_url=labelstudio.url, api_key=sign_up(labelstudio.url, EXPERT, "expert-password-123"))


def test_a_pull_over_several_export_requests_stores_each_annotation_once(store, project, labelstudio, expert, monkeypatch):
    client = LabelStudioClient(labelstudio.url, ADMIN_TOKEN)
    task_ids = make_tasks(store, 5, route="labelstudio")
    push(store, client, project.config)
    pushed = ls_task_ids(store)
    ada = expert
    made = [ada.annotations.create(id=pushed[t], result=correction_result("corrected", f"Fix {t}.")) for t in task_ids]
    ada.annotations.create(id=pushed[task_ids[1]], result=correction_result("acceptable"), was_cancelled=True)
    monkeypatch.setattr(annotate.labelstudio.pull, "EXPORT_TASKS", 2)
    monkeypatch.setattr(annotate.labelstudio.pull, "PAGE_TASKS", 1)
    requests = []
    exported = client.exported_tasks

    def counted(project_id, ids):
        requests.append(list(ids))
        if len(requests) == 2:  # a task of the first request is edited before the second is sent
            ada.annotations.update(id=made[0].id, result=correction_result("corrected", "Fix, edited mid-pull."))
        return exported(project_id, ids)

    monkeypatch.setattr(client, "exported_tasks", counted)
    report = pull(store, client, project.config)
    assert [len(ids) for ids in requests] == [2, 2, 1] and sorted(sum(requests, [])) == sorted(pushed.values())
    assert (report.stored, report.skipped, report.tasks_seen) == (5, 1, 5)
    assert [len(store.annotations_of(t)) for t in task_ids] == [1] * 5
    later = pull(store, client, project.config)
    assert (later.stored, later.superseded, later.skipped) == (0, 1, 0)
    assert store.annotations_of(task_ids[0])[-1].corrected_response == "Fix, edited mid-pull."
    assert pull(store, client, project.config).added == 0
