"""`push`: send the tasks routed to Label Studio, each exactly once.

One Label Studio project per (task kind, round), created on first push and reused after (the
mapping lives in `ls_projects`). Tasks go in batches, each in one import request; before a
batch leaves, the project is marked as having a push in flight, and the batch's Label Studio
ids are recorded in the same transaction that clears the mark. A push cut off in between (a
timeout, a crash) leaves the mark, and the next push first asks the server which of the
project's tasks it already holds (`flywheel_task_id` travels in each task's data), so nothing
is pushed twice. The project's PII policy (`pii.on_push`) applies to everything that leaves.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby

from annotate.clock import utc_now_text
from annotate.config import ProjectConfig
from annotate.errors import LabelStudioError, LabelStudioProjectGone
from annotate.labelstudio.client import LabelStudioClient, config_problems
from annotate.labelstudio.configs import CONTROLS, choice_aliases, labeling_config
from annotate.labelstudio.payloads import DEFAULT_BATCH_SIZE, Payload, task_payload
from annotate.store import Store
from annotate.text.secrets import redact_url


@dataclass
class ProjectPush:
    kind: str
    round_id: int
    ls_project_id: int
    title: str
    created: bool = False
    pushed: int = 0
    reconciled: int = 0  # found on the server after an interrupted push, recorded without pushing again
    held_back: int = 0  # blocked by pii.on_push = "block"
    redacted_tasks: int = 0
    redacted: Counter = field(default_factory=Counter)
    config_updated: bool = False


@dataclass
class PushReport:
    projects: list[ProjectPush] = field(default_factory=list)

    @property
    def pushed(self) -> int:
        return sum(project.pushed for project in self.projects)


def tasks_waiting(store: Store, kind: str | None = None, limit: int | None = None) -> int:
    """How many open tasks routed to Label Studio a push would send now."""
    return len(store.tasks_to_push(kind, limit))


@dataclass(frozen=True)
class SyncStatus:
    """What was pushed and pulled, per Label Studio project Flywheel made, and the annotations not stored."""

    projects: list[dict]
    problems: list[dict]


def sync_status(store: Store) -> SyncStatus:
    return SyncStatus(store.ls_project_summaries(), store.ls_problems())


def push(
    store: Store, client: LabelStudioClient, config: ProjectConfig, *, kind: str | None = None, limit: int | None = None,
    recreate: bool = False, reset_config: bool = False, batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> PushReport:  # fmt: skip
    """Push open tasks routed to Label Studio and not pushed yet (best first, at most `limit`)."""
    if kind not in (None, "correction", "preference"):
        raise LabelStudioError(f"unknown task kind {kind!r}: correction or preference")
    outcomes: dict[tuple[str, int], ProjectPush] = {}
    servers: dict[tuple[str, int], dict] = {}
    for link in store.active_ls_projects():  # first check each project, and repair what an earlier push left
        if kind in (None, link["kind"]):
            server, updated, matched = check_link(store, client, config, link, recreate=recreate, reset_config=reset_config)
            if server is None:
                continue  # deleted on the server and forgotten (--recreate): its open tasks go to a new project
            key = (link["kind"], link["round_id"])
            servers[key] = server
            if updated or matched:
                outcomes[key] = ProjectPush(*key, link["ls_project_id"], link["title"], reconciled=matched, config_updated=updated)
    tasks = store.tasks_to_push(kind, limit)
    for key, group in groupby(sorted(tasks, key=lambda t: (t["kind"], t["round_id"])), key=lambda t: (t["kind"], t["round_id"])):
        group = sorted(group, key=lambda t: (-t["priority"], t["id"]))
        outcome = outcomes.get(key) or _outcome_for(store, key)
        _push_group(store, client, config, outcome, servers.get(key), group, batch_size, on_batch)
        outcomes[key] = outcome
    return PushReport(list(outcomes.values()))


def _outcome_for(store: Store, key: tuple[str, int]) -> ProjectPush:
    link = store.active_ls_project(*key)
    if link is None:
        return ProjectPush(*key, 0, "")
    return ProjectPush(*key, link["ls_project_id"], link["title"])


def _push_group(store, client, config, outcome: ProjectPush, server: dict | None, tasks: list[dict], batch_size,
                on_batch) -> None:  # fmt: skip
    """Push one project's tasks batch by batch. The next batch's payloads (PII redaction is the
    costly part) are built in a worker thread while the current batch is on the wire."""
    kind = outcome.kind
    link = _project_for(store, client, config, outcome, server, max(t["required_annotations"] for t in tasks))
    batches = [tasks[start : start + batch_size] for start in range(0, len(tasks), batch_size)]

    def build(batch: list[dict]) -> list[Payload]:
        return [task_payload(task, config.pii, config.flagging.pii_min_score) for task in batch]

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="flywheel-payloads") as builder:
        upcoming = builder.submit(build, batches[0]) if batches else None
        for index in range(len(batches)):
            payloads = upcoming.result()
            upcoming = builder.submit(build, batches[index + 1]) if index + 1 < len(batches) else None
            ready = [payload for payload in payloads if payload.data is not None]
            outcome.held_back += len(payloads) - len(ready)
            for payload in payloads:
                outcome.redacted.update(payload.redacted)
                outcome.redacted_tasks += bool(payload.redacted) and payload.data is not None
            if ready:
                store.update_ls_project(link["id"], push_started_at=utc_now_text())
                ls_ids = client.import_tasks(link["ls_project_id"], [payload.as_import(kind) for payload in ready])
                with store.transaction():
                    outcome.pushed += store.record_pushed(link["id"], [(p.task_id, i) for p, i in zip(ready, ls_ids)])
                    store.update_ls_project(link["id"], push_started_at=None, last_push_at=utc_now_text())
            if on_batch:
                on_batch(len(payloads))


def _project_for(store, client, config, outcome: ProjectPush, server: dict | None, overlap: int) -> dict:
    """The active (already checked) Label Studio project for the outcome's kind and round, or a new one."""
    link = store.active_ls_project(outcome.kind, outcome.round_id)
    if link is None:
        round_name = store.round_by_id(outcome.round_id)["name"]
        title = f"{config.project.name} · {outcome.kind} · {round_name}"[:50]
        label_config = labeling_config(outcome.kind, config.taxonomy)
        ls_project_id = client.create_project(
            title, label_config, maximum_annotations=overlap,
            description=f"Flywheel {outcome.kind} tasks of round {round_name!r}. Pushed and pulled by `flywheel ls`.",
        )  # fmt: skip
        outcome.ls_project_id, outcome.title, outcome.created = ls_project_id, title, True
        return store.insert_ls_project({
            "server_url": client.url, "ls_project_id": ls_project_id, "kind": outcome.kind, "round_id": outcome.round_id,
            "title": title, "label_config_hash": _hash(label_config), "created_at": utc_now_text(),
        })  # fmt: skip
    if (server["maximum_annotations"] or 1) < overlap:
        client.update_project(link["ls_project_id"], maximum_annotations=overlap)
    return link


def check_link(store: Store, client: LabelStudioClient, config: ProjectConfig, link: dict, *, recreate: bool = False,
               reset_config: bool = False) -> tuple[dict | None, bool, int]:  # fmt: skip
    """Check a project still exists on this server with a config results fit, and finish an
    interrupted push. Returns (the server's project, or None when forgotten by `recreate`;
    whether its config was replaced; how many tasks an unfinished push had left unrecorded)."""
    pushed_to = redact_url(link["server_url"])  # an older version stored the URL with its user-info
    if pushed_to != client.url:
        raise LabelStudioError(
            f"Flywheel pushed {link['kind']} tasks of this round to {pushed_to}, not {client.url}; "
            "point LABEL_STUDIO_URL at that server"
        )
    try:
        server = client.project(link["ls_project_id"])
    except LabelStudioProjectGone:
        if not recreate:
            raise
        store.forget_ls_project(link["id"])
        return None, False, 0
    updated = ensure_config(store, client, config, link, server["label_config"], reset=reset_config)
    matched = _reconcile(store, client, link) if link["push_started_at"] else 0
    return server, updated, matched


def ensure_config(store: Store, client: LabelStudioClient, config: ProjectConfig, link: dict, server_config: str,
                  *, reset: bool = False) -> bool:  # fmt: skip
    """Make sure results made on the server fit Flywheel; True when the server's config was replaced.

    Flywheel writes its generated config back when asked (`reset`) or when the taxonomy changed and
    the server still holds the config Flywheel pushed; a config someone changed on the server is
    fine while results still fit it, and an error that says how to fix it when they do not."""
    generated = labeling_config(link["kind"], config.taxonomy)
    if server_config == generated:
        return False
    if reset or _hash(server_config) == link["label_config_hash"]:
        client.update_project(link["ls_project_id"], label_config=generated)
        store.update_ls_project(link["id"], label_config_hash=_hash(generated))
        return True
    problems = config_problems(server_config, expected_controls(link["kind"], config))
    if problems:
        raise LabelStudioError(
            f"the labeling config of Label Studio project {link['ls_project_id']} ({link['title']}) was changed on the "
            f"server and results no longer fit Flywheel: {'; '.join(problems)}. Put Flywheel's config back with "
            "`flywheel ls push --reset-config` (or make flywheel.toml's taxonomy match the server)"
        )
    return False


def expected_controls(kind: str, config: ProjectConfig) -> dict[str, tuple[str, set[str] | None]]:
    """Each control a result may carry: name -> (Label Studio tag, allowed choice aliases)."""
    return {
        control.name: ("Choices", choice_aliases(kind, control.name, config.taxonomy))
        if control.type == "choices" else ("TextArea", None)
        for control in CONTROLS[kind]
    }


def _reconcile(store: Store, client: LabelStudioClient, link: dict) -> int:
    """After an interrupted push: record the tasks the server took, so they are not pushed again."""
    pending = store.unpushed_task_ids(link["kind"], link["round_id"])
    found = []
    for task in client.tasks(link["ls_project_id"], fields="all"):
        flywheel_id = (task.get("data") or {}).get("flywheel_task_id")
        if flywheel_id in pending:
            found.append((flywheel_id, task["id"]))
            pending.discard(flywheel_id)  # a duplicate on the server keeps its first id
    with store.transaction():
        matched = store.record_pushed(link["id"], found)
        store.update_ls_project(link["id"], push_started_at=None)
    return matched


def _hash(label_config: str) -> str:
    return hashlib.sha256(label_config.encode()).hexdigest()[:32]
