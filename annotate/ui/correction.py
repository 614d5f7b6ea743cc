"""The correction workspace: fix or accept one response, or mark it unusable. A response that
calls tools is corrected field by field (`annotate.ui.call_editor`)."""

from __future__ import annotations

import streamlit as st

from annotate.records import Verdict
from annotate.review.claims import TaskView
from annotate.review.tool_answers import canonical_response, same_response
from annotate.ui.call_editor import call_editor, composed_from_state, edits_calls
from annotate.ui.care import confirmed, show_confirmation, show_format_check, show_pace_notice
from annotate.ui.steps import show_response
from annotate.ui.text import diff_markdown
from annotate.ui.workspace import (
    answer_controls,
    answer_fields,
    run_workspace,
    show_conversation,
    show_guidelines,
    show_why,
    submit_answer,
    use_answer_keys,
)  # fmt: skip

# Keyed by annotate.records.VERDICTS, every one and in its order (the radio shows them so).
VERDICTS: dict[Verdict, str] = {
    "acceptable": "Acceptable as is", "corrected": "Corrected", "unusable": "Unusable (needs another expert)",
}
VERDICT_LABEL = "Verdict"  # the radio the keys 1, 2, 3 find by its label
VERDICT_KEYS = ["Acceptable", "Corrected", "Unusable"]  # what keys 1, 2, 3 are called on screen, in VERDICTS' order


def correction_page() -> None:
    st.title("Correct responses")
    run_workspace("correction", _render)


def _render(view: TaskView) -> None:
    show_pace_notice()
    use_answer_keys(VERDICT_LABEL, VERDICT_KEYS)
    left, right = st.columns([3, 2], gap="large")
    with left:
        show_conversation(view)
        st.markdown("**The model's response**")
        with st.container(border=True):
            show_response(view.response or "")
    with right:
        show_why(view)
        show_guidelines()
    key = str(view.task_id)
    if edits_calls(view):
        edited = call_editor(view, key, on_edit=_follow_edit)
    else:
        edited = st.text_area(
            "Your corrected response (starts as the model's; edit it, or leave it if it is fine)",
            value=view.response or "", height=220, key=f"corrected-{key}", on_change=_follow_edit, args=(view,),
        )  # fmt: skip
    show_format_check(view, edited)
    if not same_response(edited, view.response):
        st.markdown("**Your changes**")
        st.markdown(diff_markdown(canonical_response(view.response or ""), edited))
    st.radio(VERDICT_LABEL, options=list(VERDICTS), format_func=VERDICTS.get, horizontal=True, key=f"verdict-{key}")
    show_confirmation(view)
    answer_controls(view, "Why (one or two sentences; the lead reads this when experts disagree)", _on_submit)


def _follow_edit(view: TaskView) -> None:
    """A text widget's callback: the verdict follows the edit ("Corrected" once the text differs
    from the model's, "Acceptable" when it is back to it), unless the expert chose "Unusable"."""
    key, state = str(view.task_id), st.session_state
    edited = composed_from_state(view, key) if edits_calls(view) else state.get(f"corrected-{key}", "")
    if state.get(f"verdict-{key}") != "unusable":
        state[f"verdict-{key}"] = "acceptable" if same_response(edited, view.response) else "corrected"


def _on_submit(view: TaskView) -> None:
    key = str(view.task_id)
    state = st.session_state
    edited = composed_from_state(view, key) if edits_calls(view) else state[f"corrected-{key}"]
    verdict = state[f"verdict-{key}"]
    problem = _problem(view, edited, verdict)
    if problem:
        state.form_error = problem
        return
    if verdict == "acceptable" and not confirmed(view):
        return
    answer = {"kind": "correction", "verdict": verdict, "corrected_response": edited if verdict == "corrected" else None,
              **answer_fields(view)}  # fmt: skip
    submit_answer(view, answer, edited)


def _problem(view: TaskView, edited: str, verdict: str) -> str | None:
    changed = not same_response(edited, view.response)
    if verdict == "corrected" and not changed:
        return "You chose 'Corrected' but did not change the response: edit it, or choose another verdict."
    if verdict != "corrected" and changed:
        return f"You edited the response but chose '{VERDICTS[verdict]}': choose 'Corrected', or undo the edit."
    if verdict == "corrected" and not edited.strip():
        return "The corrected response is empty."
    return None
