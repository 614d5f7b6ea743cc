"""The lead's adjudication workspace: settle the tasks resolution could not.

A task is shown once, then every current answer side by side. The lead picks one answer, merges
(starts from one answer and edits it) or writes the final answer anew, always with a reason; a
decided task can be revised (the new decision supersedes) or promoted to gold.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from annotate.consensus.adjudication import (
    adjudicate,
    case_of,
    conflict_cases,
    current_answer,
    decided_tasks,
    dismiss_conflict,
    promote_to_gold,  # fmt: skip
)
from annotate.consensus.lead_queue import REASON_KINDS, FeedbackConflict, feedback_conflicts, filter_queue
from annotate.errors import FlywheelError
from annotate.review.claims import TaskView
from annotate.review.tool_answers import canonical_response
from annotate.store.rows import Adjudication, Annotation
from annotate.ui.access import require_role
from annotate.ui.adjudication_filters import queue_filter
from annotate.ui.cached import adjudication_queue_view
from annotate.ui.labels import table_height
from annotate.ui.correction import VERDICTS
from annotate.ui.preference import CHOICES
from annotate.ui.steps import show_offered_tools, show_response
from annotate.ui.store_access import current_project, open_store
from annotate.ui.text import diff_markdown, escape_markdown, show_text
from annotate.ui.workspace import show_conversation

TASK_KEY = "adjudicate-task"
DECIDED_KEY = "adjudicate-decided-task"
ERROR_KEY = "adjudication_error"  # (task id, message): why the last decision was refused
LAST_KEY = "adjudication_last"  # the task decided last, offered for promotion
NOTICE_KEY = "adjudication_notice"  # why the last promotion was refused
MODES = {"waiting": "Waiting for a decision", "decided": "Decided"}


def adjudication_page() -> None:
    require_role(page="adjudicate")
    st.title("Adjudicate")
    _show_flash()
    with open_store() as store:
        queue = adjudication_queue_view()
        feedback = feedback_conflicts(store)
        decided = decided_tasks(store)
    conflicts = f" · conflicts in production feedback: **{len(feedback):,}**" if feedback else ""
    st.caption(f"Waiting for a decision: **{len(queue):,}**{conflicts} · decided: **{len(decided):,}**")
    mode = st.radio(
        "Show", list(MODES), format_func=MODES.get, horizontal=True, key="adjudicate-mode", label_visibility="collapsed"
    )
    if mode == "waiting":
        _waiting(queue, feedback)
    else:
        _decided(decided)


def _show_flash() -> None:
    if st.session_state.get("flash"):
        st.success(escape_markdown(st.session_state.flash))
        st.session_state.flash = ""
    if st.session_state.get(NOTICE_KEY):
        st.error(escape_markdown(st.session_state[NOTICE_KEY]))
        st.session_state[NOTICE_KEY] = ""
    last = st.session_state.get(LAST_KEY)
    st.session_state[LAST_KEY] = None  # offered once, right after the decision (the Decided view keeps it)
    if last is not None:
        st.button(f"Promote task #{last:d} to gold", key="promote-last", on_click=_promote, args=(last,))


def _waiting(queue: pd.DataFrame, feedback: list[FeedbackConflict]) -> None:
    if queue.empty and not feedback:
        st.success("Nothing to adjudicate: every task with overlap is resolved or still collecting answers.")
        return
    if feedback:
        _feedback_conflicts(feedback)
    if queue.empty:
        return
    queue = filter_queue(queue, queue_filter(queue))
    if queue.empty:
        st.info("No task in the queue matches these filters.")
        return
    shown = pd.DataFrame({
        "task": queue["task_id"], "kind": queue["kind"], "answers": queue["n_answers"],
        "reason": queue["reason_kind"].map(REASON_KINDS), "agreement": queue["agreement"], "round": queue["round"],
        "first answer": queue["first_answer"], "why": queue["reason"],
        "prompt": [_excerpt(prompt, 120) for prompt in queue["prompt"]],
    })  # fmt: skip
    st.dataframe(shown, hide_index=True, width="stretch", height=table_height(len(shown)),
                 column_config={"agreement": st.column_config.NumberColumn(format="percent")})  # fmt: skip
    labels = {row.task_id: f"#{row.task_id} · {row.kind} · {row.n_answers} answers · {_excerpt(row.prompt, 60)}"
              for row in queue.itertuples()}  # fmt: skip
    task_id = st.selectbox("Task", list(labels), format_func=labels.get, key=TASK_KEY)
    row = queue.loc[queue["task_id"] == task_id].iloc[0]
    conflict = row.get("conflict_id")
    _workspace(int(task_id), why=row["reason"], conflict_id=None if pd.isna(conflict) else int(conflict))


def _decided(decided: dict[int, Adjudication]) -> None:
    if not decided:
        st.info("No task has been decided yet.")
        return
    rows = sorted(decided.values(), key=lambda row: row.created_at, reverse=True)
    shown = pd.DataFrame([
        {"task": row.task_id, "kind": row.kind, "decision": row.verdict or row.choice, "method": row.method,
         "by": row.lead_email, "when": _minute(row.created_at), "reason": row.reason}
        for row in rows
    ])  # fmt: skip
    st.dataframe(shown, hide_index=True, width="stretch", height=table_height(len(shown)))
    labels = {row.task_id: f"#{row.task_id} · {row.kind} · {row.verdict or row.choice}" for row in rows}
    task_id = st.selectbox("Task", list(labels), format_func=labels.get, key=DECIDED_KEY)
    _workspace(int(task_id), why=None)


def _workspace(task_id: int, why: str | None, conflict_id: int | None = None) -> None:
    """The task, its answers side by side, the ways to decide it, and its earlier decisions; for a
    task in a conflict, the other tasks' answers and a way to dismiss the conflict."""
    with open_store() as store:
        case = case_of(store, task_id)
        others = conflict_cases(store, conflict_id, task_id) if conflict_id is not None else []
    view, answers, history, taxonomy = case.view, case.answers, case.history, case.taxonomy
    labels = {category.id: category.label for category in taxonomy.failure_categories}
    st.subheader(f"Task #{task_id:d} ({escape_markdown(view.kind)})")
    if why:
        st.markdown("**Why it needs you**")
        show_text(why)
    _show_task(view)
    if conflict_id is not None:
        _conflict(conflict_id, others, labels)
    if history:
        _history(task_id, history)
    st.subheader(f"{len(answers)} answers")
    st.text_area("Your reason (required for any decision: picking, merging or writing)", key=f"reason-{task_id}",
                 placeholder="Why this is the right answer; annotators and later leads read it.")  # fmt: skip
    _answers(task_id, answers, labels, view.response if view.kind == "correction" else None)
    error = st.session_state.get(ERROR_KEY)
    if error and error[0] == task_id:
        st.error(escape_markdown(error[1]))
        st.toast(escape_markdown(error[1]), icon=":material/error:")  # seen wherever the page is scrolled to
        st.session_state[ERROR_KEY] = None
    merge, write = st.tabs(["Merge: start from an answer and edit it", "Write the final answer"])
    with merge:
        _merge_form(view, answers, taxonomy)
    with write:
        _write_form(view, taxonomy)


def _conflict(conflict_id: int, others: list, labels: dict[str, str]) -> None:
    """The tasks this one conflicts with (their prompts and answers), and the dismissal form."""
    with st.expander(f"Conflict {conflict_id:d}: the other {len(others)} task(s) and their answers", expanded=True):
        for other in others:
            st.markdown(f"**Task #{other.view.task_id:d}**")
            show_conversation(other.view)
            for answer in other.answers:
                with st.container(border=True):
                    _show_answer(answer, labels)
        st.caption("Decide each task of the conflict (here, one after the other), or, when both answers stand "
                   "because the prompts differ in a way that matters, dismiss the conflict.")  # fmt: skip
        _dismiss_form(conflict_id)


def _dismiss_form(conflict_id: int) -> None:
    with st.form(f"dismiss-{conflict_id}"):
        st.text_input("Why both answers stand", key=f"dismiss-reason-{conflict_id}")
        st.form_submit_button("Dismiss the conflict", key=f"dismiss-{conflict_id}-button", on_click=_dismiss,
                              args=(conflict_id,))  # fmt: skip


def _feedback_conflicts(feedback: list[FeedbackConflict]) -> None:
    """Conflicts between production answers users rated: no task to decide, so only a dismissal
    settles one; until then the export leaves its examples out."""
    with st.expander(f"Conflicts in production feedback ({len(feedback):,}): no task to decide, dismiss or leave out"):
        st.caption("Users rated these production answers to near-identical questions, and the answers contradict "
                   "each other. The export leaves them out until you dismiss the conflict (both answers stand).")  # fmt: skip
        for item in feedback:
            conflict = item.conflict
            st.markdown(f"**Conflict {conflict.id:d}** ({escape_markdown(conflict.kind)}): {escape_markdown(conflict.detail)}")
            for example in item.examples:
                with st.container(border=True):
                    st.caption(escape_markdown(f"{example.example_id} · thumbs {example.thumbs or '—'}"))
                    show_text(example.prompt)
                    show_response(example.response)
            _dismiss_form(conflict.id)


def _dismiss(conflict_id: int) -> None:
    state = st.session_state
    try:
        with open_store() as store:
            dismiss_conflict(store, conflict_id, state.user["email"], state.get(f"dismiss-reason-{conflict_id}", ""))
    except FlywheelError as exc:
        state[NOTICE_KEY] = f"Conflict {conflict_id} was not dismissed: {exc}"
        return
    state.flash = f"Conflict {conflict_id} dismissed: its examples are exported again."
    state.pop(TASK_KEY, None)


def _show_task(view: TaskView) -> None:
    show_conversation(view)
    show_offered_tools(view.tools)
    if view.kind == "correction":
        st.markdown("**The model's response**")
        with st.container(border=True):
            show_response(view.response or "")
        return
    for column, label, text in zip(
        st.columns(2, gap="large"), ("Response A", "Response B"), (view.response_a, view.response_b)
    ):
        with column:
            st.markdown(f"**{escape_markdown(label)}**")
            with st.container(border=True):
                show_response(text or "")


def _answers(task_id: int, answers: list[Annotation], labels: dict[str, str], response: str | None) -> None:
    """Every current answer in its own column, with a button to pick it."""
    per_row = 3 if len(answers) > 4 else max(len(answers), 1)
    for start in range(0, len(answers), per_row):
        for column, answer in zip(st.columns(per_row), answers[start : start + per_row]):
            with column, st.container(border=True):
                _show_answer(answer, labels, response)
                st.button("Pick this answer", key=f"pick-{task_id}-{answer.id}", type="primary",
                          on_click=_pick, args=(task_id, answer.id))  # fmt: skip


def _show_answer(answer: Annotation, labels: dict[str, str], response: str | None = None) -> None:
    """One answer; a correction's text as a diff against the model's `response` when given."""
    who = f"{answer.name} · {answer.email}" if answer.name else answer.email  # the address once
    st.markdown(f"**{escape_markdown(who)}**")
    st.caption(escape_markdown(f"{answer.source} · {_minute(answer.created_at)}"))
    if answer.kind == "correction":
        st.markdown(f"Verdict: **{escape_markdown(VERDICTS.get(answer.verdict, answer.verdict))}**")
        text_label = "Corrected response"
    else:
        st.markdown(f"Judgment: **{escape_markdown(CHOICES.get(answer.choice, answer.choice))}**")
        text_label = "Better response"
    if answer.corrected_response:
        st.markdown(f"*{text_label}*")
        show_response(answer.corrected_response)
        if answer.kind == "correction" and response is not None:
            with st.expander("Changes to the model's response"):
                st.markdown(diff_markdown(canonical_response(response), answer.corrected_response))
    st.markdown(f"Categories: {escape_markdown(', '.join(labels.get(c, c) for c in answer.failure_categories)) or '—'}")
    st.markdown(f"Severity: {escape_markdown(answer.severity or '—')}")
    st.markdown("*Rationale*")
    show_text(answer.rationale or "—")


def _history(task_id: int, history: list[Adjudication]) -> None:
    st.markdown("**Decisions so far** (the newest stands)")
    st.dataframe(pd.DataFrame([
        {"when": _minute(row.created_at), "by": row.lead_email, "decision": row.verdict or row.choice,
         "method": row.method, "reason": row.reason}
        for row in history
    ]), hide_index=True, width="stretch")  # fmt: skip
    st.button("Promote to gold", key=f"promote-{task_id}", on_click=_promote, args=(task_id,),
              help="Make the standing decision a gold item: later batches score annotators against it.")  # fmt: skip


def _merge_form(view: TaskView, answers: list[Annotation], taxonomy) -> None:
    names = {answer.id: answer.name or answer.email for answer in answers}
    if not names:
        st.write("No answers to start from.")
        return
    base_id = st.selectbox("Start from", list(names), format_func=names.get, key=f"merge-base-{view.task_id}")
    base = next(answer for answer in answers if answer.id == base_id)
    prefix = f"merge-{view.task_id}-{base_id}"
    with st.form(prefix):
        _answer_inputs(view, taxonomy, prefix, base.answer)
        st.form_submit_button("Save the merged answer", type="primary", key=f"{prefix}-save", on_click=_save_form,
                              args=(view.task_id, view.kind, prefix, "merged"))  # fmt: skip


def _write_form(view: TaskView, taxonomy) -> None:
    prefix = f"write-{view.task_id}"
    with st.form(prefix):
        _answer_inputs(view, taxonomy, prefix, None)
        st.form_submit_button("Save the written answer", type="primary", key=f"{prefix}-save", on_click=_save_form,
                              args=(view.task_id, view.kind, prefix, "written"))  # fmt: skip


def _answer_inputs(view: TaskView, taxonomy, prefix: str, start: dict | None) -> None:
    """The answer's fields for the task's kind, starting from `start` (an answer) or blank."""
    start = start or {}
    if view.kind == "correction":
        verdicts = list(VERDICTS)
        index = verdicts.index(start["verdict"]) if start.get("verdict") in verdicts else None
        st.radio("Verdict", verdicts, format_func=VERDICTS.get, index=index, horizontal=True, key=f"{prefix}-verdict")
        st.text_area("Corrected response (kept only with the verdict 'Corrected')", height=160, key=f"{prefix}-text",
                     value=start.get("corrected_response") or view.response or "")  # fmt: skip
    else:
        choices = list(CHOICES)
        index = choices.index(start["choice"]) if start.get("choice") in choices else None
        st.radio("Judgment", choices, format_func=CHOICES.get, index=index, horizontal=True, key=f"{prefix}-choice")
        st.text_area("A better response (optional)", value=start.get("better_response") or "", key=f"{prefix}-text")
    labels = {category.id: category.label for category in taxonomy.failure_categories}
    chosen = [category for category in start.get("failure_categories", []) if category in labels]
    st.multiselect("What is wrong", list(labels), default=chosen, format_func=labels.get, key=f"{prefix}-categories")
    levels = [None, *taxonomy.severity]
    severity = levels.index(start.get("severity")) if start.get("severity") in levels else 0
    st.selectbox("Severity", levels, index=severity, format_func=lambda level: level or "—", key=f"{prefix}-severity")
    st.text_area("Rationale (stored with the answer)", value=start.get("rationale") or "", key=f"{prefix}-rationale")


def answer_from_state(kind: str, prefix: str) -> dict:
    """The answer a merge or write form holds, in the shape `adjudicate` takes."""
    state = st.session_state
    common = {"failure_categories": state[f"{prefix}-categories"], "severity": state[f"{prefix}-severity"],
              "rationale": state[f"{prefix}-rationale"]}  # fmt: skip
    text = state[f"{prefix}-text"]
    if kind == "correction":
        verdict = state[f"{prefix}-verdict"]
        return {
            "kind": "correction",
            "verdict": verdict,
            "corrected_response": text if verdict == "corrected" else None,
            **common,
        }
    return {
        "kind": "preference",
        "choice": state[f"{prefix}-choice"],
        "better_response": text.strip() or None,
        **common,
    }


def _pick(task_id: int, annotation_id: int) -> None:
    with open_store() as store:
        picked = current_answer(store, task_id, annotation_id)
    if picked is None:
        st.session_state[ERROR_KEY] = (task_id, "That answer was edited meanwhile; look at the answers again.")
        return
    answer = {**picked.answer, "seconds_spent": None}  # the decision is not timed work
    _decide(task_id, answer, "picked", annotation_id, f"{picked.name or picked.email}'s answer")


def _save_form(task_id: int, kind: str, prefix: str, method: str) -> None:
    if kind == "correction" and st.session_state[f"{prefix}-verdict"] is None:
        st.session_state[ERROR_KEY] = (task_id, "Choose a verdict first.")
        return
    if kind == "preference" and st.session_state[f"{prefix}-choice"] is None:
        st.session_state[ERROR_KEY] = (task_id, "Choose a judgment first.")
        return
    _decide(task_id, answer_from_state(kind, prefix), method, None, f"a {method} answer")


def _decide(task_id: int, answer: dict, method: str, picked_id: int | None, what: str) -> None:
    """Store the decision; on success the next queue item comes up, on refusal the message shows."""
    state = st.session_state
    try:
        with open_store() as store:
            adjudicate(
                store, task_id, state.user["email"], answer, state.get(f"reason-{task_id}", ""), method, picked_id
            )
    except FlywheelError as exc:  # StoreBusy included
        state[ERROR_KEY] = (task_id, f"Not saved: {exc}")
        return
    value = answer.get("verdict") or answer.get("choice")
    revising = state.get("adjudicate-mode") == "decided"
    state.flash = f"Task #{task_id} decided: {value} ({what})." + (
        "" if revising else " The next task in the queue is below."
    )
    state[LAST_KEY] = task_id
    state.pop(f"reason-{task_id}", None)
    state.pop(TASK_KEY, None)  # the decided task has left the queue: show its head


def _promote(task_id: int) -> None:
    try:
        with open_store() as store:
            changed = promote_to_gold(store, task_id, st.session_state.user["email"])
    except FlywheelError as exc:  # StoreBusy included
        st.session_state[NOTICE_KEY] = f"Task #{task_id} was not promoted: {exc}"
        return
    st.session_state.flash = f"Task #{task_id}'s decision is {'now' if changed else 'already'} a gold item."


def _excerpt(text: str | None, length: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _minute(timestamp: str | None) -> str:
    return timestamp[:16].replace("T", " ") if timestamp else ""
