"""`pull`: bring the experts' Label Studio work back as Flywheel annotations, incrementally.

For each project Flywheel made, the server is asked for the tasks updated since the project's
cursor (`updated_at` changes when an annotation is added, edited, skipped or deleted), and
their annotations are fetched through the server's JSON export. Each
annotation on them is then, by what Flywheel last saw of it (`ls_annotations`):

- new and valid: a first annotation (`source = labelstudio`), filling one of the task's slots;
- edited (its result changed): a new annotation superseding the one stored before;
- skipped (cancelled): a skip, like a skip in the review app;
- invalid (the server does not check results against the config; a tool call that does not fit
  the tools the record offered; an answer that breaks the project's answer rules,
  `annotate.review.answer_rules`): reported, not stored;
- unchanged: nothing, so pulling twice adds nothing.

An annotation Flywheel had that is gone from its task was deleted on the server: it is reported,
and Flywheel's copy is kept (annotations are never deleted). Label Studio users map to
annotators by email; a new email becomes an annotator with role `annotator`. Each page of tasks
is written in one transaction; the cursor moves when the whole list has been read. The next
export request runs while a page is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from annotate.clock import utc_now_text
from annotate.config import ProjectConfig
from annotate.labelstudio.client import CURSOR_FORMAT, LabelStudioClient, result_problems
from annotate.labelstudio.payloads import answer_from_result, result_hash
from annotate.labelstudio.push import check_link
from annotate.records import CorrectionAnswer, PreferenceAnswer
from annotate.review.annotators import add_annotator
from annotate.review.answer_rules import answer_problems
from annotate.review.claims import store_external_annotation, taxonomy_of
from annotate.review.tool_answers import offered_tools
from annotate.store import Store

CURSOR_OVERLAP = timedelta(seconds=2)  # re-read the last moments: a transaction may commit after a later one
PAGE_TASKS = 500  # tasks written in one transaction
EXPORT_TASKS = 900  # task ids in one export request: Django refuses a request of over 1,000 query fields


@dataclass
class Problem:
    ls_project_id: int
    ls_task_id: int
    ls_annotation_id: int
    annotator: str
    reason: str


@dataclass
class PullReport:
    projects: int = 0
    tasks_seen: int = 0
    stored: int = 0
    superseded: int = 0
    skipped: int = 0
    unchanged: int = 0
    invalid: list[Problem] = field(default_factory=list)
    deleted: list[Problem] = field(default_factory=list)
    unknown_tasks: list[int] = field(default_factory=list)  # Label Studio task ids Flywheel did not push
    new_annotators: list[str] = field(default_factory=list)

    @property
    def added(self) -> int:
        return self.stored + self.superseded + self.skipped


def pull(
    store: Store, client: LabelStudioClient, config: ProjectConfig, *, on_task: Callable[[int], None] | None = None
) -> PullReport:
    """Pull every active Label Studio project (see the module docstring)."""
    report = PullReport()
    links = store.active_ls_projects()
    if not links:
        return report
    users = UserDirectory(client)
    taxonomy = taxonomy_of(store)
    for link in links:
        server, _updated, _matched = check_link(store, client, config, link)
        report.projects += 1
        _pull_project(store, client, link, server["label_config"], users, taxonomy, report, on_task)
    return report


def _pull_project(store, client, link, label_config, users, taxonomy, report, on_task) -> None:
    """The ids of the tasks updated since the cursor come from the task list without annotations
    (cheap); their annotations from the server's JSON export, `EXPORT_TASKS` tasks a request (one
    request costs the server far less than listing the same tasks with annotations). Pages of
    tasks are written as they come; the cursor moves only once every page is written (a task not
    yet read may have been updated before one already read), so a pull cut off starts again from
    the old cursor and finds what it wrote unchanged. The cursor is the latest `updated_at` the
    list showed: a task updated after the list was read is read again next time."""
    cursor = link["pull_cursor"]
    ids: list[int] = []
    for task_id, updated_at in client.updated_task_ids(link["ls_project_id"], updated_after=_rewound(link["pull_cursor"])):
        ids.append(task_id)
        cursor = max(cursor or "", updated_at or "") or None
    for tasks in _exported(client, link["ls_project_id"], ids):
        for first in range(0, len(tasks), PAGE_TASKS):
            _write_page(store, link, label_config, tasks[first : first + PAGE_TASKS], users, taxonomy, report, on_task)
    store.update_ls_project(link["id"], pull_cursor=cursor, last_pull_at=utc_now_text())


def _exported(client: LabelStudioClient, ls_project_id: int, ids: list[int]) -> Iterator[list[dict]]:
    """The tasks `ids` with their annotations, `EXPORT_TASKS` a request, in order; the next
    request is on its way while the caller writes the tasks before it (the server works while
    Flywheel stores: a pull takes about as long as the larger of the two, not their sum)."""
    chunks = [ids[start : start + EXPORT_TASKS] for start in range(0, len(ids), EXPORT_TASKS)]
    if not chunks:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ls-export") as fetcher:
        fetching = fetcher.submit(client.exported_tasks, ls_project_id, chunks[0])
        for following in [*chunks[1:], None]:
            tasks = fetching.result()
            if following is not None:
                fetching = fetcher.submit(client.exported_tasks, ls_project_id, following)
            yield tasks


def _write_page(store: Store, link: dict, label_config: str, tasks: list[dict], users: UserDirectory, taxonomy,
                report: PullReport, on_task) -> None:  # fmt: skip
    if not tasks:
        return
    now = utc_now_text()
    with store.immediate():
        for task in tasks:
            report.tasks_seen += 1
            flywheel_task = store.pushed_task(link["id"], task["id"])
            if flywheel_task is None:
                if task.get("annotations"):
                    report.unknown_tasks.append(task["id"])
                continue
            seen = store.ls_annotations_of_task(link["id"], flywheel_task["id"])
            present = set()
            for annotation in task.get("annotations") or []:
                present.add(annotation["id"])
                _take(store, link, flywheel_task, task, annotation, seen.get(annotation["id"]), users, label_config,
                      taxonomy, report, now)  # fmt: skip
            for ls_annotation_id, row in seen.items():
                if ls_annotation_id not in present and row["state"] != "deleted":
                    store.save_ls_annotation({**row, "state": "deleted", "problem": "deleted in Label Studio",
                                              "pulled_at": now})  # fmt: skip
                    report.deleted.append(Problem(link["ls_project_id"], task["id"], ls_annotation_id,
                                                  _email(store, row["annotator_id"]), "deleted in Label Studio; "
                                                  f"Flywheel keeps its copy (annotation {row['annotation_id']})"))  # fmt: skip
    if on_task:
        on_task(len(tasks))


def _take(store, link, flywheel_task, task, annotation, seen, users, label_config, taxonomy, report, now) -> None:
    """Record one Label Studio annotation (see the module docstring)."""
    digest = result_hash(annotation)
    if seen is not None and seen["result_hash"] == digest and seen["state"] != "deleted":
        report.unchanged += 1
        return
    email = users.email(annotation.get("completed_by"))
    annotator_id = _annotator_id(store, email, report)
    row = {
        "ls_project": link["id"], "ls_annotation_id": annotation["id"], "task_id": flywheel_task["id"],
        "annotator_id": annotator_id, "result_hash": digest, "problem": None, "annotation_id": None,
        "ls_updated_at": str(annotation.get("updated_at") or task["updated_at"]), "pulled_at": now,
    }  # fmt: skip
    if annotation.get("was_cancelled"):
        if seen is None or seen["state"] != "skipped":
            store.insert_skip(flywheel_task["id"], annotator_id, now, "skipped in Label Studio")
            report.skipped += 1
        store.save_ls_annotation({**row, "state": "skipped"})
        return
    answer, problems = pulled_answer(store, flywheel_task, task.get("data") or {}, annotation, label_config, taxonomy)
    if answer is None:
        store.save_ls_annotation({**row, "state": "invalid", "problem": "; ".join(problems)})
        report.invalid.append(Problem(link["ls_project_id"], task["id"], annotation["id"], email, "; ".join(problems)))
        return
    replaces = seen["annotation_id"] if seen is not None else None
    row["annotation_id"] = store_external_annotation(
        store, flywheel_task["id"], annotator_id, answer, source="labelstudio", external_id=str(annotation["id"]),
        replaces=replaces,
    )  # fmt: skip
    if replaces is None and store.annotation(row["annotation_id"]).supersedes is None:
        report.stored += 1
    else:
        report.superseded += 1
    store.save_ls_annotation({**row, "state": "stored"})


def pulled_answer(store: Store, flywheel_task: dict, task_data: dict, annotation: dict, label_config: str,
                  taxonomy) -> tuple[CorrectionAnswer | PreferenceAnswer | None, list[str]]:  # fmt: skip
    """(the answer, []) for a Label Studio annotation of a Flywheel task (a `Store.pushed_task` row),
    or (None, why it cannot be stored): checked against the labeling config, Flywheel's answer model,
    the tools the record offered and the project's answer rules, as every answer is."""
    problems = result_problems(label_config, annotation.get("result") or [])
    if problems:
        return None, problems
    record_ids = [flywheel_task["record_id"], flywheel_task["record_b_id"]]
    answer, problems = answer_from_result(flywheel_task["kind"], annotation, task_data, taxonomy, offered_tools(store, record_ids))
    if answer is None:
        return None, problems
    problems = answer_problems(store, record_ids, answer)
    return (None, problems) if problems else (answer, [])


def _annotator_id(store: Store, email: str, report: PullReport) -> int:
    person = store.annotator_by_email(email)
    if person is None:
        person = add_annotator(store, email, "annotator", name=None)
        report.new_annotators.append(email)
    return person["id"]


def _email(store: Store, annotator_id: int | None) -> str:
    person = store.annotator_by_id(annotator_id) if annotator_id is not None else None
    return person["email"] if person else "?"


class UserDirectory:
    """Label Studio user ids to emails, read once per pull and again when an unknown id turns up."""

    def __init__(self, client: LabelStudioClient):
        self._client = client
        self._emails = client.users()

    def email(self, user_id: int | None) -> str:
        if user_id not in self._emails:
            self._emails = self._client.users()
        return self._emails.get(user_id) or f"label-studio-user-{user_id}@label-studio.invalid"


def _rewound(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return (datetime.strptime(cursor, CURSOR_FORMAT) - CURSOR_OVERLAP).strftime(CURSOR_FORMAT)
