"""Conversations and responses on the page as distinct steps (`annotate.review.steps`): text as
text, each tool call as "Calls **name**" with its arguments as formatted JSON, each tool result
as "Result of **name** (call id)", refusals marked as such, attachments as references (never
fetched, never shown as images). Untrusted text goes through `annotate.ui.text` only; JSON is
shown in `st.code`, which renders nothing."""

from __future__ import annotations

import streamlit as st

from annotate.review.steps import Step, conversation_turns, response_steps, tools_offered
from annotate.ui.text import escape_markdown, show_text

AVATARS = {"user": "user", "assistant": "assistant"}  # any other role (tool) gets TOOL_AVATAR
TOOL_AVATAR = "🛠️"


def show_turns(messages: list[dict], *, system: bool = False) -> None:
    """The conversation as chat turns of steps (system turns only when `system`)."""
    for turn in conversation_turns(messages):
        if (turn.role == "system") != system:
            continue
        if system:
            show_steps(turn.steps)
            continue
        with st.chat_message(turn.role, avatar=AVATARS.get(turn.role, TOOL_AVATAR)):
            show_steps(turn.steps)


def show_response(text: str) -> None:
    """A response (its text, then its tool calls) as steps."""
    show_steps(response_steps(text))


def show_steps(steps: tuple[Step, ...]) -> None:
    for step in steps:
        _show_step(step)


def _show_step(step: Step) -> None:
    if step.kind in ("text", "attachment"):
        show_text(step.body)
        return
    if step.kind == "unreadable":
        st.warning(escape_markdown(f"Not a readable tool call: {step.body}"))
        return
    if step.kind == "refusal":
        st.markdown("**Refusal** (the model declined)")
        show_text(step.body)
        return
    call_id = f" ({escape_markdown(step.call_id)})" if step.call_id else ""
    if step.kind == "call":
        st.markdown(f"Calls **{escape_markdown(step.name)}**{call_id}")
    else:
        tool = f"**{escape_markdown(step.name)}**" if step.name else "a tool"
        st.markdown(f"Result of {tool}{call_id}")
    st.code(step.body or " ", language="json" if step.is_json else None, wrap_lines=True)
    if step.problem:
        st.warning(escape_markdown(step.problem))


def show_offered_tools(tools: list[dict] | None) -> None:
    """The tools the model was offered: name, description and parameter schema each."""
    offered = tools_offered(tools)
    if tools is None:
        return
    with st.expander(f"Tools the model was offered ({len(offered):d})"):
        if not offered:
            st.caption("None: the model was offered no tools.")
        for name, description, parameters in offered:
            st.markdown(f"**{escape_markdown(name)}**")
            if description:
                show_text(description)
            st.code(parameters, language="json", wrap_lines=True)

