"""Adjudication: a lead settles the tasks resolution could not, and the decision wins everywhere.

- `adjudication_queue(store, config, filters)`: tasks whose answers need a lead, with the reason
  (a split, too few annotators for a majority, diverging corrected texts), most contested first.
- `adjudicate(store, task_id, lead, answer, reason, method, picked_annotation_id=None)`: store
  the final answer (`picked` one annotator's, `merged` from several, or `written` anew), with a
  reason, which is required. A later decision supersedes an earlier one; nothing is overwritten.
- `promote_to_gold(store, task_id, lead)`: the task's decision becomes a gold item, so future
  batches score annotators against it.
Only leads and admins adjudicate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from annotate.clock import utc_now_text
from annotate.config import ProjectConfig, Taxonomy
from annotate.consensus.answer_table import AnswerFilter, answer_frame
from annotate.consensus.resolution import NEEDS_ADJUDICATION, resolve
from annotate.errors import ReviewError
from annotate.records import CorrectionAnswer, PersonRole, PreferenceAnswer
from annotate.review.claims import TaskView, task_view, taxonomy_of, validate_answer
from annotate.store import Store
from annotate.store.rows import Adjudication, Annotation

ADJUDICATING_ROLES: tuple[PersonRole, ...] = ("lead", "admin")  # roles from annotate.records.ROLES
METHODS = ("picked", "merged", "written")


def adjudication_queue(store: Store, config: ProjectConfig, filters: AnswerFilter = AnswerFilter()) -> pd.DataFrame:
    """Tasks waiting for a lead: task_id, kind, n_answers, reason, prompt (most answers first)."""
    frame = answer_frame(store, filters)
    resolution = resolve(frame, config.resolution, store.latest_adjudications())
    waiting = resolution[resolution["status"] == NEEDS_ADJUDICATION].reset_index()
    if waiting.empty:
        return waiting.assign(prompt=[])
    prompts = store.task_prompts(waiting["task_id"].tolist())
    waiting["prompt"] = waiting["task_id"].map(prompts)
    return waiting.sort_values(["n_answers", "task_id"], ascending=[False, True]).reset_index(drop=True)


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
    parsed = validate_answer(answer, task.kind, taxonomy_of(store))
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
