"""What the correction and preference workspaces share: claiming the next task, showing why it is
here, timing it, submitting or skipping it, and keeping an answer the store refused on screen."""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from annotate.errors import ClaimLost, FlywheelError, Paused, StoreBusy
from annotate.review.claims import TaskView, next_task, progress_of, release, submit
from annotate.review.progress import round_progress
from annotate.review.why import REASON_LABELS  # noqa: F401 (the labels experts see, defined in the domain)
from annotate.ui.hotkeys import Key, choice_keys, skip_key, submit_key, use_hotkeys
from annotate.ui.steps import show_turns
from annotate.ui.store_access import current_project, open_store
from annotate.ui.text import escape_markdown
from annotate.ui.why_box import category_help, show_category_meanings, show_guidelines, show_why  # noqa: F401 (pages import them from here)



def claim_next(kind: str) -> TaskView | None:
    """The task this expert holds, or a newly claimed one; starts its clock on first sight."""
    with open_store() as store:
        view = next_task(store, st.session_state.user["email"], kind)
    if view is not None:
        st.session_state.task_started.setdefault(view.task_id, time.time())
    return view


def show_progress(kind: str) -> None:
    with open_store() as store:
        progress = progress_of(store, st.session_state.user["email"], kind)
        mine = round_progress(store, st.session_state.user["email"], kind)
    part = f"this round ({escape_markdown(mine.round_name)})" if mine.round_name else "every round"
    figures = f"**{mine.done:,}** done of **{mine.total:,}** ({mine.left:,} left)"
    st.progress(mine.share_done, text=f"Your part of {part}: {figures}")
    st.caption(f"Done today: **{progress.done_today:,}** · open tasks in the queue: **{escape_markdown(progress.open_label())}**")


def show_flash_and_lost_answer() -> None:
    if st.session_state.flash:
        st.success(escape_markdown(st.session_state.flash))
        st.session_state.flash = ""
    lost = st.session_state.lost_answer
    if lost:
        st.error(escape_markdown(lost["message"]))
        st.caption("Your text, to copy before you move on:")
        st.code(lost["text"] or "(empty)", language=None, wrap_lines=True)
        if st.button("Dismiss"):
            st.session_state.lost_answer = None
            st.rerun()


MASKED_NOTE = ("Personal data is shown as placeholders such as <EMAIL_ADDRESS_1>. Keep a placeholder where its value "
               "belongs in your answer: it is saved as the real value.")  # fmt: skip


def show_conversation(view: TaskView) -> None:
    if view.masked:
        st.info(escape_markdown(MASKED_NOTE))
    if any(message["role"] == "system" for message in view.messages):
        with st.expander("System prompt"):
            show_turns(view.messages, system=True)
    show_turns(view.messages)


def submit_answer(view: TaskView, answer: dict, kept_text: str) -> None:
    """A Submit button's callback: store the answer before the page claims anything else.

    Callbacks run before the script, so even when the lease has lapsed and the task is gone from
    this expert's queue, the submit is attempted and its outcome reported: saved, or refused
    with the expert's text kept on screen to copy.
    """
    started = st.session_state.task_started.get(view.task_id, time.time())
    answer = {**answer, "seconds_spent": round(time.time() - started, 1)}
    try:
        with open_store() as store:
            submit(store, view.task_id, st.session_state.user["email"], answer)
    except ClaimLost as exc:
        st.session_state.lost_answer = {"task_id": view.task_id, "text": kept_text, "message": str(exc)}
    except StoreBusy as exc:  # keep the task and the text
        st.session_state.form_error = f"Could not save just now ({exc}); your answer is still here: submit again."
        return
    except FlywheelError as exc:
        st.session_state.form_error = str(exc)
        return
    else:
        st.session_state.flash = "Saved. Here is the next one."
    st.session_state.task_started.pop(view.task_id, None)


def show_form_error() -> None:
    if st.session_state.form_error:
        st.error(escape_markdown(st.session_state.form_error))
        st.session_state.form_error = ""


SKIP = "Skip"  # the popover the S key opens
SKIP_REASON = "Why skip? (your lead sees this)"  # the box the S key puts the cursor in


def skip_form(view: TaskView) -> None:
    """A reason and a button, in a form: the button works as soon as a reason is typed (no Enter needed)."""
    with st.popover(SKIP), st.form(f"skip-form-{view.task_id}", border=False):
        reason_key = f"skip-reason-{view.task_id}"
        st.text_input(SKIP_REASON, key=reason_key)
        st.form_submit_button("Skip this task", key=f"skip-{view.task_id}", on_click=_skip, args=(view, reason_key))


def _skip(view: TaskView, reason_key: str) -> None:
    if not st.session_state[reason_key].strip():
        st.session_state.form_error = "Say why you skip this task (your lead reads it), then press Skip this task."
        return
    with open_store() as store:
        release(store, view.task_id, st.session_state.user["email"], st.session_state[reason_key])
    st.session_state.task_started.pop(view.task_id, None)
    st.session_state.flash = "Skipped."


def taxonomy_inputs(key: str, subject: str = "") -> tuple[list[str], str | None]:
    """The failure categories (described beside the choice) and severity; `subject` says which response they are about."""
    taxonomy = current_project().config.taxonomy
    labels = {category.id: category.label for category in taxonomy.failure_categories}
    about = f" with {escape_markdown(subject)}" if subject else ""
    categories = st.multiselect(f"What is wrong{about}", options=list(labels), format_func=labels.get, key=f"categories-{key}",
                                help=escape_markdown(category_help()))  # fmt: skip
    show_category_meanings()
    severity = st.selectbox(f"Severity{' for ' + escape_markdown(subject) if subject else ''}", options=[None, *taxonomy.severity],
                            format_func=lambda s: s or "—", key=f"severity-{key}")  # fmt: skip
    return categories, severity


def answer_controls(view: TaskView, rationale_label: str, on_submit: Callable[[TaskView], None], subject: str = "") -> None:
    """What every answer ends with: taxonomy (about `subject` when given), rationale, any refusal message, Submit and Skip."""
    key = str(view.task_id)
    taxonomy_inputs(key, subject)
    st.text_area(escape_markdown(rationale_label), key=f"rationale-{key}")
    show_form_error()
    submit_column, skip_column = st.columns([1, 5])
    submit_column.button("Submit", type="primary", key=f"submit-{key}", on_click=on_submit, args=(view,))
    with skip_column:
        skip_form(view)


def answer_fields(view: TaskView) -> dict:
    """The taxonomy and rationale fields of the answer being submitted, from the widgets' state."""
    key, state = str(view.task_id), st.session_state
    return {"failure_categories": state[f"categories-{key}"], "severity": state[f"severity-{key}"],
            "rationale": state[f"rationale-{key}"]}  # fmt: skip


def run_workspace(kind: str, render: Callable[[TaskView], None]) -> None:
    show_flash_and_lost_answer()
    if not _asked_for_work(kind):
        return
    try:
        view = claim_next(kind)
    except Paused as exc:  # gold accuracy under the bar, or a lead's decision: no new tasks
        st.warning(escape_markdown(str(exc)))
        return
    show_progress(kind)
    if view is None:
        st.success("Nothing waiting for you here. Thank you!")
        return
    st.markdown(f"**Task #{view.task_id:d}**")
    render(view)


def use_answer_keys(radio_label: str, names: list[str]) -> None:
    """The workspace's keys on screen and in the browser: a number per option of the radio
    labelled `radio_label` (named `names`), Ctrl+Enter to submit, S to skip."""
    keys: list[Key] = [*choice_keys(radio_label, names), submit_key("Submit"), skip_key(SKIP, SKIP_REASON)]
    use_hotkeys(keys)


def _asked_for_work(kind: str) -> bool:
    """Annotators get their next task straight away; a lead or admin, for whom answering is a side
    job, claims nothing (no slot held for the lease) until they press Start."""
    state = st.session_state
    if state.user["role"] == "annotator" or kind in state.working_on:
        return True
    st.info("Claiming a task holds it for you for the lease (other experts cannot take it meanwhile). "
            "Start when you mean to answer.")  # fmt: skip
    verb = "correcting" if kind == "correction" else "comparing"
    st.button(f"Start {verb}", type="primary", key=f"start-{kind}", on_click=state.working_on.add, args=(kind,))
    return False

