"""Claims and submissions: how experts take task slots and hand in answers, safely.

The review app, the Label Studio sync, the command line and the tests all use these three
functions. `annotator` is the annotator's email (a registered, active annotator); `answer` is
a `CorrectionAnswer` or `PreferenceAnswer` (or a dict in their shape).

- `next_task(store, annotator, kind=None)` returns the highest-priority open slot this annotator
  has not annotated, skipped or is holding elsewhere, and claims it with a lease (the project's
  `overlap.lease_minutes`, default 30), all in one `BEGIN IMMEDIATE` transaction, so two experts
  never get the same slot. An expert who still holds a claim gets that task back (a page reload
  loses nothing). `None` when there is nothing to do; `Paused` for an annotator paused from new
  tasks (`annotate.review.quality`: gold accuracy under the bar, or a lead's decision).
- `submit(store, task_id, annotator, answer)` validates the answer against the task's kind, the
  project taxonomy, the tools the record offered and the project's answer rules
  (`validate_task_answer`, `annotate.review.answer_rules`), writes the annotation, ends the claim and marks the task done when its
  overlap is met. Submitting twice (a double click, a retry) stores one annotation and returns
  it. A lease that expired still submits while a slot is free; if someone else has taken the
  last slot, `ClaimLost` says so and nothing is written.
- `release(store, task_id, annotator, reason)` gives the slot back (a skip); the same expert is
  not offered that task again. Expired leases return their slots to the queue on the next claim.

Who may do it, checked here whatever the caller (the app, the command line, the Label Studio
sync): only the roles that answer tasks (`ANSWERING_ROLES`: annotators, leads, admins; not
engineers) claim or submit; an answer to a task routed to Label Studio comes back through the
sync, not through `submit`; and an expert who skipped a task cannot answer it afterwards
(`NotAllowed` for each).

What an expert sees (`TaskView`) never includes other experts' answers, gold answers, whether
the task is gold or a spot check, or which model wrote which preference response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from annotate.clock import utc_now
from annotate.config import Taxonomy
from annotate.errors import ClaimLost, NotAllowed, Paused, ReviewError
from annotate.records import Answer, CorrectionAnswer, PersonRole, PreferenceAnswer
from annotate.review.annotators import active_annotator
from annotate.review.answer_rules import check_answer_rules
from annotate.review.masking import Masker, ReviewMask, review_mask
from annotate.review.quality import check_pause, pause_text, standing_pause
from annotate.review.tool_answers import check_task_answer_calls, merged_tools
from annotate.review.work_search import where_found
from annotate.store import Store
from annotate.store.rows import HistoryEntry, Task

ANSWERING_ROLES: tuple[PersonRole, ...] = ("annotator", "lead", "admin")  # who claims and answers tasks
DEFAULT_LEASE_MINUTES = 30
DEFAULT_EDIT_WINDOW_MINUTES = 60
_ANSWER = TypeAdapter(Answer)


@dataclass(frozen=True)
class TaskView:
    """One task as an expert sees it: blind to other experts, to gold and spot-check status and to model identity."""

    task_id: int
    kind: str
    messages: list[dict]
    response: str | None
    response_a: str | None
    response_b: str | None
    flags: list[tuple[str, str]]
    lease_expires_at: str
    masked: bool = False  # personal data shown as placeholders ([pii] in_review = "mask")
    tools: list[dict] | None = None  # the tools the model was offered, when the record kept them
    flag_responses: tuple[str, ...] = ()  # per flag, the response it is about: "A" or "B" on a comparison, "" otherwise


@dataclass(frozen=True)
class Submission:
    annotation_id: int
    created: bool  # False when this was a repeat of an earlier submit


def next_task(store: Store, annotator: str, kind: str | None = None, *, route: str = "app") -> TaskView | None:
    """Claim the best open slot for `annotator` (see the module docstring)."""
    person = _answering(store, annotator)
    now = utc_now()
    expires = _iso(now + timedelta(minutes=_lease_minutes(store)))
    pause = None
    with store.immediate():
        store.expire_claims(_iso(now))
        held = store.active_claim(person["id"], kind=kind, route=route)
        if held is not None:
            store.extend_claim(held["id"], expires)
            task_id = held["task_id"]
        elif (pause := standing_pause(store, person["id"])) is None:
            task_id = store.best_open_task(person["id"], kind=kind, route=route)
            if task_id is None:
                return None
            store.insert_claim(task_id, person["id"], _iso(now), expires)
    if pause is not None:
        raise Paused(f"You are paused from new tasks; your answers so far are kept. Ask your lead. ({pause_text(pause)})")
    return task_view(store, task_id, expires)


def submit(
    store: Store, task_id: int, annotator: str, answer: CorrectionAnswer | PreferenceAnswer | dict[str, Any],
    *, source: str = "app", external_id: str | None = None,
) -> Submission:  # fmt: skip
    """Store `annotator`'s answer to the task (see the module docstring for the rules)."""
    person = _answering(store, annotator)
    task = _task(store, task_id)
    if task.route != "app":
        raise NotAllowed(f"task {task_id} is routed to {task.route}; its answers come back from there "
                         "(flywheel ls pull), not from this app")  # fmt: skip
    # the expert saw placeholders where the project masks personal data: the values they stand for are stored
    parsed = validate_task_answer(store, task, answer, masker=task_masker(store, task_id))
    now = utc_now()
    with store.immediate():
        earlier = store.first_annotation(task_id, person["id"])
        claim = store.active_claim(person["id"], task_id=task_id)
        if earlier is not None:
            if claim is not None:
                store.end_claim(claim, "submitted", _iso(now))
            return Submission(earlier.id, created=False)
        store.expire_claims(_iso(now))
        claim = store.active_claim(person["id"], task_id=task_id)
        if claim is None and store.has_skipped(task_id, person["id"]):
            raise NotAllowed(f"you skipped task {task_id}, so it went to another expert; your answer was not saved")
        if claim is None:
            current = store.task(task_id)
            if current.status != "open" or current.done_annotations + current.active_claims >= current.required_annotations:
                raise ClaimLost(
                    f"your hold on task {task_id} expired and another expert has taken its last slot; "
                    "your answer was not saved (copy it before moving on)"
                )
        else:
            store.end_claim(claim, "submitted", _iso(now))
        annotation_id = store.insert_annotation(_annotation_row(task_id, person["id"], parsed, source, external_id, now))
        store.count_done(task_id)
        if task.is_gold:  # new evidence for the gold-accuracy bar (annotate.review.quality)
            check_pause(store, person["id"])
    return Submission(annotation_id, created=True)


def release(store: Store, task_id: int, annotator: str, reason: str) -> bool:
    """Give back `annotator`'s slot on the task (a skip, with its reason); False when none was held."""
    person = active_annotator(store, annotator)
    with store.immediate():
        claim = store.active_claim(person["id"], task_id=task_id)
        if claim is None:
            return False
        store.end_claim(claim, "skipped", _iso(utc_now()), reason.strip() or "skipped")
    return True


def store_external_annotation(
    store: Store, task_id: int, annotator_id: int, answer: CorrectionAnswer | PreferenceAnswer,
    *, source: str, external_id: str, replaces: int | None = None,
) -> int:  # fmt: skip
    """Store an answer made outside the review app (Label Studio, an import), inside the caller's
    transaction. It supersedes the current version of `replaces` when given, else the annotator's
    own earlier answer to the task if there is one; otherwise it is a first answer and fills a slot.
    Slots are not claimed: the other tool assigned the work."""
    now = utc_now()
    row = _annotation_row(task_id, annotator_id, answer, source, external_id, now)
    earlier = store.annotation(replaces) if replaces is not None else store.first_annotation(task_id, annotator_id)
    if earlier is not None:
        row["supersedes"] = store.latest_in_chain(earlier.id).id
        annotation_id = store.insert_annotation(row)
    else:
        annotation_id = store.insert_annotation(row)
        store.count_done(task_id)
    if store.task(task_id).is_gold:  # new evidence for the gold-accuracy bar (annotate.review.quality)
        check_pause(store, annotator_id)
    return annotation_id


def validate_answer(answer: Any, kind: str, taxonomy: Taxonomy) -> CorrectionAnswer | PreferenceAnswer:
    """Parse an answer and check it fits the task kind and the project taxonomy."""
    try:
        parsed = answer if isinstance(answer, (CorrectionAnswer, PreferenceAnswer)) else _ANSWER.validate_python(answer)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in error["loc"])
        raise ReviewError(f"invalid answer: {field}: {error['msg']}") from exc
    if parsed.kind != kind:
        raise ReviewError(f"a {parsed.kind} answer does not fit a {kind} task")
    known = {category.id for category in taxonomy.failure_categories}
    unknown = [category for category in parsed.failure_categories if category not in known]
    if unknown:
        raise ReviewError(f"unknown failure categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    if parsed.severity is not None and parsed.severity not in taxonomy.severity:
        raise ReviewError(f"unknown severity {parsed.severity!r}; the scale is {', '.join(taxonomy.severity)}")
    return parsed


def validate_task_answer(
    store: Store, task: Task, answer: Any, taxonomy: Taxonomy | None = None, *, masker: Masker | None = None,
    reason: str | None = None,
) -> CorrectionAnswer | PreferenceAnswer:
    """`validate_answer`, the written response's tool calls checked against the tools the task's
    record(s) offered (`annotate.review.tool_answers`) and the project's answer rules
    (`annotate.review.answer_rules`; `reason`, a lead's, counts as a rationale): one rule set for
    every way answers come in. With `masker` (the answer was written over placeholders) the answer
    is unmasked first, and returned unmasked."""
    parsed = validate_answer(answer, task.kind, taxonomy or taxonomy_of(store))
    if masker is not None:
        parsed = masker.unmask_answer(parsed)
    check_task_answer_calls(store, parsed, [task.record_id, task.record_b_id])
    check_answer_rules(store, [task.record_id, task.record_b_id], parsed, reason)
    return parsed


def task_view(store: Store, task_id: int, lease_expires_at: str = "") -> TaskView:
    """The task as its expert sees it: personal data masked where the project says so (`annotate.review.masking`)."""
    view = _plain_view(store, task_id, lease_expires_at)
    mask = review_mask(store)
    return _masked_view(view, Masker(mask)) if mask else view


def _masked_view(view: TaskView, masker: Masker) -> TaskView:
    """`view` with its texts masked, in a fixed order (so a masker run again numbers alike)."""
    return replace(view, messages=masker.messages(view.messages), response=masker(view.response),
                   response_a=masker(view.response_a), response_b=masker(view.response_b),
                   flags=[(reason, masker(detail)) for reason, detail in view.flags], masked=True)  # fmt: skip


def task_masker(store: Store, task_id: int) -> Masker | None:
    """The masker that showed this task to its expert (None when texts are shown as logged)."""
    mask = review_mask(store)
    if mask is None:
        return None
    masker = Masker(mask)
    _masked_view(_plain_view(store, task_id), masker)
    return masker


def _history_masker(mask: ReviewMask, messages: list[dict], response_a: str | None, response_b: str | None,
                    answer: dict) -> tuple[Masker, tuple]:  # fmt: skip
    """The masker for one *My work* entry, and its texts masked in the order they are shown."""
    masker = Masker(mask)
    return masker, (masker.messages(messages), masker(response_a), masker(response_b), masker.answer(answer))


def _plain_view(store: Store, task_id: int, lease_expires_at: str = "") -> TaskView:
    task = _task(store, task_id)
    ids = [task.record_id] + ([task.record_b_id] if task.record_b_id else [])
    records = store.records_by_id(ids)
    first = records[task.record_id]
    found = store.flags_for(ids)
    flags = [(flag["reason"], flag["detail"]) for flag in found]
    tools = merged_tools([records[record_id]["tools"] for record_id in ids])
    if task.kind == "correction":
        return TaskView(task_id, "correction", first["messages"], first["response"], None, None, flags, lease_expires_at,
                        tools=tools, flag_responses=("",) * len(flags))  # fmt: skip
    second = records[task.record_b_id]
    responses = tuple("A" if flag["record_id"] == task.record_id else "B" for flag in found)
    return TaskView(task_id, "preference", first["messages"], None, first["response"], second["response"], flags,
                    lease_expires_at, tools=tools, flag_responses=responses)  # fmt: skip


def _answering(store: Store, email: str) -> dict:
    """The active annotator with this email, whose role answers tasks."""
    person = active_annotator(store, email)
    if person["role"] not in ANSWERING_ROLES:
        raise NotAllowed(f"{email} is an {person['role']}: only {', '.join(ANSWERING_ROLES)}s answer tasks")
    return person


def taxonomy_of(store: Store) -> Taxonomy:
    """The project taxonomy the store was last opened with (the defaults on a bare database)."""
    saved = store.setting("taxonomy")
    return Taxonomy.model_validate(saved) if saved else Taxonomy()


def _lease_minutes(store: Store) -> int:
    return int(store.setting("lease_minutes", DEFAULT_LEASE_MINUTES))


def _task(store: Store, task_id: int) -> Task:
    task = store.task(task_id)
    if task is None:
        raise ReviewError(f"no task with id {task_id}")
    return task


def _annotation_row(task_id: int, annotator_id: int, answer, source: str, external_id: str | None, now: datetime) -> dict:
    correction = isinstance(answer, CorrectionAnswer)
    return {
        "task_id": task_id,
        "annotator_id": annotator_id,
        "kind": answer.kind,
        "answer": answer.model_dump_json(),
        "verdict": answer.verdict if correction else None,
        "choice": None if correction else answer.choice,
        "corrected_response": answer.corrected_response if correction else answer.better_response,
        "failure_categories": json.dumps(answer.failure_categories),
        "severity": answer.severity,
        "rationale": answer.rationale,
        "seconds_spent": answer.seconds_spent,
        "source": source,
        "external_id": external_id,
        "supersedes": None,
        "created_at": _iso(now),
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Progress:
    done_today: int
    open_tasks: int  # counted up to PROGRESS_CAP
    more: bool  # True when there are more than PROGRESS_CAP

    def open_label(self) -> str:
        return f"{self.open_tasks:,}+" if self.more else f"{self.open_tasks:,}"


PROGRESS_CAP = 1_000


def progress_of(store: Store, annotator: str, kind: str | None = None, *, route: str = "app") -> Progress:
    """What the annotator answered in the app today (UTC; imported answers and Label Studio pulls
    are not today's work) and how many tasks remain open in the queue (up to a cap, so the count
    costs the same at 200,000 open tasks as at 200)."""
    person = active_annotator(store, annotator)
    midnight = utc_now().replace(hour=0, minute=0, second=0, microsecond=0)
    counted = store.open_tasks(kind=kind, route=route, cap=PROGRESS_CAP + 1)
    return Progress(store.annotations_since(person["id"], _iso(midnight)), min(counted, PROGRESS_CAP), counted > PROGRESS_CAP)


def history(store: Store, annotator: str, search: str = "", limit: int = 200) -> list[HistoryEntry]:
    """The annotator's own submitted work, newest first, current versions only; `search` filters
    (case-insensitively) on what *My work* shows of each: the whole conversation, tool calls
    included, the responses, the expert's text and rationale (`annotate.review.work_search`)."""
    person = active_annotator(store, annotator)
    rows = store.annotator_history(person["id"], limit)
    mask = review_mask(store)
    if mask is not None:
        rows = [_masked_entry(row, mask) for row in rows]
    if search.strip():  # on what the expert sees: a search cannot find masked data
        rows = [row for row in rows if where_found(row, search)]
    return rows


def _masked_entry(entry: HistoryEntry, mask: ReviewMask) -> HistoryEntry:
    answer = entry.annotation.answer
    masker, (messages, response_a, response_b, masked_answer) = _history_masker(mask, entry.messages, entry.response_a,
                                                                                 entry.response_b, answer)  # fmt: skip
    annotation = replace(entry.annotation, answer=masked_answer, corrected_response=masker(entry.annotation.corrected_response),
                         rationale=masker(entry.annotation.rationale) or "")  # fmt: skip
    return replace(entry, annotation=annotation, messages=messages, response_a=response_a, response_b=response_b)


def edit_annotation(
    store: Store, annotation_id: int, annotator: str, answer: CorrectionAnswer | PreferenceAnswer | dict[str, Any]
) -> Submission:
    """Replace the annotator's own answer with a new one that supersedes it (nothing is overwritten).

    Allowed within the project's edit window (`app.edit_window_minutes`) of the first submission.
    """
    person = active_annotator(store, annotator)
    original = store.annotation(annotation_id)
    if original is None or original.annotator_id != person["id"]:
        raise ReviewError(f"annotation {annotation_id} is not one of yours")
    task = _task(store, original.task_id)
    masker, mask = None, review_mask(store)
    if mask is not None:  # My work showed placeholders: store the values they stand for
        records = store.records_by_id([task.record_id] + ([task.record_b_id] if task.record_b_id else []))
        first_record = records[task.record_id]
        shown = store.latest_in_chain(annotation_id)
        masker, _ = _history_masker(mask, first_record["messages"], first_record["response"],
                                    records[task.record_b_id]["response"] if task.record_b_id else None, shown.answer)  # fmt: skip
    parsed = validate_task_answer(store, task, answer, masker=masker)
    window = timedelta(minutes=int(store.setting("edit_window_minutes", DEFAULT_EDIT_WINDOW_MINUTES)))
    first = store.first_annotation(original.task_id, person["id"])
    now = utc_now()
    if now - datetime.fromisoformat(first.created_at) > window:
        raise ReviewError(f"the edit window of {window.total_seconds() / 60:g} minutes has passed; ask your lead")
    with store.immediate():
        current = store.latest_in_chain(annotation_id)
        row = _annotation_row(original.task_id, person["id"], parsed, current.source, current.external_id, now)
        row["supersedes"] = current.id
        new_id = store.insert_annotation(row)
        if task.is_gold:  # the edit is the answer the gold-accuracy bar now counts
            check_pause(store, person["id"])
    return Submission(new_id, created=True)
