"""Adjudication: a lead settles the tasks resolution could not, and the decision wins everywhere.

- `adjudication_queue(store, config, filters)`: tasks whose answers need a lead, with the reason
  (see `annotate.consensus.lead_queue`, which builds it).
- `adjudicate(store, task_id, lead, answer, reason, method, picked_annotation_id=None)`: store
  the final answer (`picked` one annotator's, `merged` from several, or `written` anew), with a
  reason, which is required. A later decision supersedes an earlier one; nothing is overwritten.
- `dismiss_conflict(store, conflict_id, lead, reason)`: a conflict the export found is none; its
  examples are exported again (deciding each of its tasks settles it too).
- `promote_to_gold(store, task_id, lead)`: the task's decision becomes a gold item, so future
  batches score annotators against it.
Only leads and admins adjudicate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from annotate.clock import utc_now_text
from annotate.config import ProjectConfig, Taxonomy
from annotate.consensus.lead_queue import adjudication_queue  # noqa: F401  (its home; imported from here too)
from annotate.errors import ReviewError
from annotate.records import CorrectionAnswer, PersonRole, PreferenceAnswer
from annotate.review.claims import TaskView, task_view, taxonomy_of, validate_task_answer
from annotate.store import Store
from annotate.store.conflicts import StoredConflict
from annotate.store.rows import Adjudication, Annotation

ADJUDICATING_ROLES: tuple[PersonRole, ...] = ("lead", "admin")  # roles from annotate.records.ROLES
METHODS = ("picked", "merged", "written")


def dismiss_conflict(store: Store, conflict_id: int, lead: str, reason: str) -> StoredConflict:
    """A lead says a conflict is none (the prompts differ in a way that matters): its examples are
    exported again. The reason is required."""
    person = _lead(store, lead)
    if not reason or not reason.strip():
        raise ReviewError("dismissing a conflict needs a reason: say why both answers stand")
    conflict = store.conflict(conflict_id)
    if conflict is None:
        raise ReviewError(f"no conflict with id {conflict_id}; `flywheel adjudicate conflicts` lists them")
    if conflict.dismissed_at:
        raise ReviewError(f"conflict {conflict_id} was dismissed by {conflict.dismissed_by} at {conflict.dismissed_at}")
    with store.immediate():
        store.dismiss_conflict(conflict_id, person["id"], reason.strip(), utc_now_text())
    return store.conflict(conflict_id)


def decided_tasks(store: Store) -> dict[int, Adjudication]:
    """Every task's standing decision (the newest), by task id."""
    return store.latest_adjudications()


@dataclass(frozen=True)
class Case:
    """What a lead sees to decide one task: the task, its current answers and the decisions so far."""

    view: TaskView
    answers: list[Annotation]
    history: list[Adjudication]
    taxonomy: Taxonomy


def case_of(store: Store, task_id: int) -> Case:
    return Case(task_view(store, task_id), store.task_answers(task_id), store.adjudication_history(task_id),
                taxonomy_of(store))  # fmt: skip


def conflict_cases(store: Store, conflict_id: int, task_id: int) -> list[Case]:
    """The other tasks of a conflict, as the lead sees them beside `task_id`."""
    conflict = store.conflict(conflict_id)
    if conflict is None:
        raise ReviewError(f"no conflict with id {conflict_id}")
    return [case_of(store, other) for other in conflict.task_ids if other != task_id]


def current_answer(store: Store, task_id: int, annotation_id: int) -> Annotation | None:
    """The annotation if it is still a current answer to the task (None once edited or not the task's)."""
    return next((answer for answer in store.task_answers(task_id) if answer.id == annotation_id), None)


def adjudicate(
    store: Store, task_id: int, lead: str, answer: CorrectionAnswer | PreferenceAnswer | dict, reason: str,
    method: str = "written", picked_annotation_id: int | None = None,
) -> int:  # fmt: skip
    """Record the lead's decision on the task (see the module docstring); returns its id."""
    person = _lead(store, lead)
    if not reason or not reason.strip():
        raise ReviewError("a decision needs a reason: say why this answer is the right one")
    if method not in METHODS:
        raise ReviewError(f"unknown method {method!r}: {', '.join(METHODS)}")
    task = store.task(task_id)
    if task is None:
        raise ReviewError(f"no task with id {task_id}")
    parsed = validate_task_answer(store, task, answer, reason=reason)
    if picked_annotation_id is not None:
        picked = store.annotation(picked_annotation_id)
        if picked is None or picked.task_id != task_id:
            raise ReviewError(f"annotation {picked_annotation_id} is not an answer to task {task_id}")
    with store.immediate():
        standing = store.latest_adjudications([task_id]).get(task_id)
        return store.insert_adjudication({
            "task_id": task_id, "lead_id": person["id"], "kind": task.kind, "answer": parsed.model_dump_json(),
            "verdict": getattr(parsed, "verdict", None), "choice": getattr(parsed, "choice", None), "method": method,
            "picked_annotation_id": picked_annotation_id, "reason": reason.strip(),
            "supersedes": standing.id if standing else None, "created_at": utc_now_text(),
        })  # fmt: skip


def promote_to_gold(store: Store, task_id: int, lead: str) -> bool:
    """Make the task's standing decision a gold answer for its record(s); False if it already was."""
    _lead(store, lead)
    decision = store.latest_adjudications([task_id]).get(task_id)
    if decision is None:
        raise ReviewError(f"task {task_id} has no decision to promote: adjudicate it first")
    task = store.task(task_id)
    answer = json.dumps(decision.answer, ensure_ascii=False, separators=(",", ":"))  # as the decision stored it
    changed = store.upsert_gold_answers([(task.record_id, task.kind, task.record_b_id, answer, "adjudication")])
    return changed > 0


def _lead(store: Store, email: str) -> dict:
    person = store.annotator_by_email(email)
    if person is None or not person["active"]:
        raise ReviewError(f"{email} is not an active user")
    if person["role"] not in ADJUDICATING_ROLES:
        raise ReviewError(f"{email} is an {person['role']}; only leads and admins adjudicate")
    return person
