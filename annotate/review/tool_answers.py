"""What an expert's written response must be when it calls tools.

A corrected (or better) response is stored as text: its content, then one `<tool_call>` block per
call (`annotate.text.tool_calls`). Every way an answer comes in (the review app, *My work* edits,
a lead's decision, `flywheel annotations import`, a Label Studio pull) refuses one whose calls do
not hold: a block that is not a call, arguments that are not a JSON object, and, when the record
kept the tools the model was offered, a tool not offered or arguments that break its parameter
schema. Without the offered tools only the form is checked: there is nothing to check names against.
"""

from __future__ import annotations

from annotate.errors import ReviewError
from annotate.records import CorrectionAnswer, PreferenceAnswer
from annotate.store import Store
from annotate.text.tool_calls import has_calls, response_text, split_response, tool_call_problems, tool_schemas


def check_answer_calls(answer: CorrectionAnswer | PreferenceAnswer, tools: list[dict] | None) -> None:
    """`ReviewError` naming each problem with the calls of the answer's written response."""
    field = "corrected_response" if isinstance(answer, CorrectionAnswer) else "better_response"
    problems = tool_call_problems(getattr(answer, field), tools)
    if problems:
        raise ReviewError(f"{field}: " + "; ".join(problems))


def check_task_answer_calls(store: Store, answer: CorrectionAnswer | PreferenceAnswer, record_ids: list[str | None]) -> None:
    """`check_answer_calls` against the tools the task's records offered (read only when the
    written response calls a tool)."""
    text = answer.corrected_response if isinstance(answer, CorrectionAnswer) else answer.better_response
    if text and has_calls(text):
        check_answer_calls(answer, offered_tools(store, record_ids))


def offered_tools(store: Store, record_ids: list[str | None]) -> list[dict] | None:
    """The tools the task's record(s) offered the model (a preference's two records' together, by
    name, the first's definition first); None when no record kept its tools."""
    rows = store.records_by_id([record_id for record_id in record_ids if record_id])
    return merged_tools([rows[record_id].get("tools") for record_id in record_ids if record_id in rows])


def merged_tools(lists: list[list[dict] | None]) -> list[dict] | None:
    if all(tools is None for tools in lists):
        return None
    merged: dict[str, dict] = {}
    for tools in lists:
        for tool in tools or []:
            for name in tool_schemas([tool]):
                merged.setdefault(name, tool)
    return list(merged.values())


def canonical_response(text: str) -> str:
    """The response in its one written form (content, then compact call blocks), so two texts that
    differ only in how a call's JSON is spaced read as the same answer; a text whose blocks do
    not all read as calls stays as it is (stripped)."""
    if not has_calls(text):
        return text.strip()
    split = split_response(text)
    if split.problems:
        return text.strip()
    return response_text(split.content, [call.as_openai(index) for index, call in enumerate(split.calls)])


def same_response(a: str | None, b: str | None) -> bool:
    return canonical_response(a or "") == canonical_response(b or "")


def compose_response(content: str, calls: list[tuple[str, str]]) -> str:
    """A response text from its content and (tool name, arguments as JSON text) pairs, as an
    expert edits them field by field; arguments that are not JSON are kept as typed (and refused
    when submitted, with the reason)."""
    raw = [{"function": {"name": name.strip(), "arguments": arguments}} for name, arguments in calls]
    return response_text(content, raw)
