"""The Correct page's care checks, shown as the expert works (the rules are the domain's,
`annotate.review.answer_rules`): the task's format validators against the text being edited, a
confirmation before accepting a response flagged for personal data or a refusal, and a gentle
word after many flagged responses accepted fast."""

from __future__ import annotations

import streamlit as st

from annotate.review.answer_rules import applicable_validators, format_check, format_problems, pace_notice, review_settings, to_confirm
from annotate.review.claims import TaskView
from annotate.ui.store_access import open_store
from annotate.ui.text import escape_markdown
from annotate.review.why import REASON_LABELS

CONFIRM_LABEL = "I checked: the response is fine as it is"


def show_format_check(view: TaskView, text: str) -> None:
    """Whether `text` passes the validators that apply to this task (those its system prompt calls
    for; the refusal check every task gets is applied at submit)."""
    with open_store() as store:
        check = format_check(store)
    names = applicable_validators(check, view.messages)
    if not names:
        return
    problems = format_problems(check, text, view.messages, only=names)
    if problems:
        st.warning(escape_markdown("Fails the format check: " + "; ".join(f"{name}: {problem}" for name, problem in problems)
                                   + ". A correction must pass it to be saved."))  # fmt: skip
    else:
        st.caption(escape_markdown(f"Passes the format check{'s' if len(names) > 1 else ''} for this task: {', '.join(names)}"))


def confirmed(view: TaskView) -> bool:
    """In the Submit callback of an "Acceptable" answer: True when nothing flagged needs confirming,
    or the expert ticked the box; otherwise asks for it and returns False."""
    state, key = st.session_state, str(view.task_id)
    with open_store() as store:
        needed = to_confirm(view.flags, review_settings(store), store)
    if not needed or state.get(f"confirm-{key}"):
        return True
    state[f"confirm-needed-{key}"] = needed
    state.form_error = f"Tick '{CONFIRM_LABEL}' to accept it, or correct it."
    return False


def show_confirmation(view: TaskView) -> None:
    """The warning and the box, once an "Acceptable" submit asked for them."""
    key = str(view.task_id)
    needed = st.session_state.get(f"confirm-needed-{key}")
    if not needed:
        return
    flagged = " and ".join(REASON_LABELS.get(reason, reason).lower() for reason in needed)
    st.warning(escape_markdown(f"This response was flagged: {flagged}. Read it once more before you accept it as it is."))
    st.checkbox(CONFIRM_LABEL, key=f"confirm-{key}")


def show_pace_notice() -> None:
    with open_store() as store:
        notice = pace_notice(store, st.session_state.user["email"])
    if notice:
        st.info(escape_markdown(notice))
