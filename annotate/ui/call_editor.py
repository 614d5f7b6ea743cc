"""Correcting a response that calls tools, field by field: its text, and for each call the tool
(chosen from the tools the model was offered) and the arguments (JSON); calls can be added and
removed. The fields compose the response text the answer stores (`compose_response`); whether its
calls hold is the domain's rule, checked at submit (`annotate.review.tool_answers`) and shown here
as the expert types."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from annotate.review.claims import TaskView
from annotate.review.steps import call_step
from annotate.review.tool_answers import compose_response, tool_call_problems
from annotate.text.tool_calls import Call, has_calls, split_response, tool_schemas
from annotate.ui.steps import show_offered_tools
from annotate.ui.text import escape_markdown

TEXT_LABEL = "Your corrected response text (starts as the model's; its tool calls are below)"


def edits_calls(view: TaskView) -> bool:
    """Whether the correction form edits calls field by field: the record kept its offered tools or
    the response calls one, and every `<tool_call>` block reads as a call (otherwise the expert
    fixes the raw text, where nothing is hidden)."""
    text = view.response or ""
    return (view.tools is not None or has_calls(text)) and not split_response(text).problems


def call_editor(view: TaskView, key: str, on_edit: Callable[[TaskView], None] | None = None) -> str:
    """The text and call fields; returns the response they compose. `on_edit(view)` runs when any
    of them changes (a callback, before the page runs again)."""
    edit = {"on_change": on_edit, "args": (view,)} if on_edit else {}
    calls = split_response(view.response or "").calls
    state = st.session_state
    slots = f"call-slots-{key}"
    if slots not in state:  # one slot per call, by a number that is never reused
        state[slots] = list(range(len(calls)))
    names = list(tool_schemas(view.tools))
    show_offered_tools(view.tools)
    content = st.text_area(TEXT_LABEL, value=split_response(view.response or "").content, height=160, key=f"corrected-{key}", **edit)
    fields = []
    for position, slot in enumerate(state[slots]):
        original = calls[slot] if slot < len(calls) else None
        with st.container(border=True):
            st.markdown(f"**Tool call {position + 1:d}**")
            name = _tool_input(names, original, f"call-name-{key}-{slot}", edit)
            default = call_step(original).body if original else "{}"
            arguments = st.text_area("Arguments (JSON)", value=default, height=120, key=f"call-arguments-{key}-{slot}", **edit)
            st.button("Remove this call", key=f"call-remove-{key}-{slot}", on_click=_remove, args=(key, slot, on_edit, view))
        fields.append((name or "", arguments))
    st.button("Add a tool call", key=f"call-add-{key}", on_click=_add, args=(key, len(calls), on_edit, view))
    composed = compose_response(content, fields)
    problems = tool_call_problems(composed, view.tools)
    if problems:
        st.warning(escape_markdown("To fix before you submit: " + "; ".join(problems)))
    return composed


def composed_from_state(view: TaskView, key: str) -> str:
    """The response the fields hold now (in a callback, before the page runs again)."""
    state = st.session_state
    fields = [(state.get(f"call-name-{key}-{slot}") or "", state.get(f"call-arguments-{key}-{slot}", "{}"))
              for slot in state.get(f"call-slots-{key}", [])]  # fmt: skip
    return compose_response(state.get(f"corrected-{key}", ""), fields)


def _tool_input(names: list[str], original: Call | None, key: str, edit: dict) -> str | None:
    if not names:  # the record did not keep the offered tools: the name is typed
        return st.text_input("Tool", value=original.name if original else "", key=key, **edit)
    options = names + ([original.name] if original and original.name not in names else [])
    index = options.index(original.name) if original else 0
    return st.selectbox("Tool", options, index=index, key=key,
                        format_func=lambda name: name if name in names else f"{name} (not offered)", **edit)  # fmt: skip


def _add(key: str, originals: int, on_edit: Callable[[TaskView], None] | None, view: TaskView) -> None:
    slots = st.session_state[f"call-slots-{key}"]
    slots.append(max([*slots, originals - 1]) + 1)
    if on_edit:
        on_edit(view)


def _remove(key: str, slot: int, on_edit: Callable[[TaskView], None] | None, view: TaskView) -> None:
    state = st.session_state
    state[f"call-slots-{key}"] = [other for other in state[f"call-slots-{key}"] if other != slot]
    for field in ("name", "arguments"):
        state.pop(f"call-{field}-{key}-{slot}", None)
    if on_edit:
        on_edit(view)
