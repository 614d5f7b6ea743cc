"""The preference workspace: which of two responses is better (shown in random order, blind)."""

from __future__ import annotations

import streamlit as st

from annotate.records import Choice
from annotate.review.claims import TaskView
from annotate.ui.steps import show_response
from annotate.ui.text import escape_markdown
from annotate.ui.workspace import (
    answer_controls,
    answer_fields,
    run_workspace,
    show_conversation,
    show_guidelines,
    show_why,
    submit_answer,
    use_answer_keys,
)

# Keyed by annotate.records.CHOICES, every one and in its order (the radio shows them so).
CHOICES: dict[Choice, str] = {
    "a": "A is better", "b": "B is better", "tie": "Tie (equally good)", "both_bad": "Both are bad",
}
CHOICE_LABEL = "Your judgment"  # the radio the keys 1 to 4 find by its label
CHOICE_KEYS = ["A", "B", "tie", "both bad"]  # what keys 1 to 4 are called on screen, in CHOICES' order

# One answer per comparison holds one set of categories: they describe the response that loses,
# the one a preference dataset keeps as "rejected" (both, when both are bad).
NOT_CHOSEN = "the response you did not choose (both, if both are bad)"


def preference_page() -> None:
    st.title("Compare responses")
    run_workspace("preference", _render)


def _render(view: TaskView) -> None:
    use_answer_keys(CHOICE_LABEL, CHOICE_KEYS)
    show_conversation(view)
    left, right = st.columns(2, gap="large")
    for column, label, text in ((left, "Response A", view.response_a), (right, "Response B", view.response_b)):
        with column:
            st.markdown(f"**{escape_markdown(label)}**")
            with st.container(border=True):
                show_response(text or "")
    show_why(view)
    show_guidelines()
    key = str(view.task_id)
    st.radio(CHOICE_LABEL, options=list(CHOICES), format_func=CHOICES.get, horizontal=True, index=None, key=f"choice-{key}")
    st.text_area("Optional: write a better answer (stored as a correction too)", key=f"better-{key}")
    answer_controls(view, "Why", _on_submit, subject=NOT_CHOSEN)


def _on_submit(view: TaskView) -> None:
    key = str(view.task_id)
    state = st.session_state
    if state[f"choice-{key}"] is None:
        state.form_error = "Choose A, B, tie or both bad first."
        return
    better = state[f"better-{key}"]
    answer = {"kind": "preference", "choice": state[f"choice-{key}"], "better_response": better or None, **answer_fields(view)}
    submit_answer(view, answer, better)
