"""Langfuse observations (JSONL) as steps of a trace.

Follows Langfuse's public API objects (`fern/apis/server/definition`: `Observation` /
`ObservationsView` in commons.yml, and observations-v2.yml, as of langfuse/langfuse commit
0010e28): one observation a line (camelCase as the API writes it; snake_case is read too), or a
page `{"data": [...]}`, or a list, or a trace `{"id", "input", "observations": [...]}` (GET
/traces/{id}). Fields: `id`, `traceId`, `type`, `name`, `startTime`, `endTime`,
`parentObservationId`, `input`, `output`, `model` (v2: `providedModelName`), `modelParameters`,
`usage` / `usageDetails` / `costDetails`, `level`, `statusMessage`, `metadata`... Inputs and
outputs written as JSON text (v2 without `parseIoAsJson`) are parsed.

- **GENERATION** (a model call): `input` is a message list (OpenAI's or LangChain's shape), or
  `{"messages": [...], "tools": [...]}` (what the OpenAI integration logs when tools are offered),
  or a prompt text; `output` is an assistant message, a text or a chat completion.
- **TOOL**: `name` is the tool, `input` its arguments, `output` its result; a call id is taken from
  `metadata.tool_call_id` when there is one (otherwise the run answers the first unanswered call of
  that name); `level` ERROR without an output: `statusMessage` as the result.
- **Other types** (SPAN, AGENT, CHAIN, EVENT...) and a trace's own `input`: a conversation's opening.

The observation's other fields (name, level, usage and cost, model parameters, its own
`metadata` as `langfuse_metadata`, prompt, version, environment...) go to the record's metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from annotate.ingest.traces.assemble import (Document, ModelCall, Step, ToolRun, Unreadable, at, identified, new_step,
                                             unreadable_step, when)
from annotate.ingest.traces.messages import assistant_output, chat_messages, opening, parsed

FIELDS = {"messages": "input", "response": "output", "tools": "input.tools"}  # of a record, in an observation
_USED = {"id", "trace_id", "type", "start_time", "end_time", "parent_observation_id", "input", "output", "model", "provided_model_name"}


def snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def steps(documents: Iterable[Document]) -> list[Step]:
    found: list[Step] = []
    for document in documents:
        for where, value, trace in _observations(document.value, "", None):
            found.append(_step(document, value, where, trace, len(found)))
    return found


def _observations(value: Any, where: str, trace: dict[str, Any] | None):
    """(path, observation, the trace it came in) for every observation a document holds."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _observations(item, f"{where}[{index}]", trace)
    elif isinstance(value, dict) and isinstance(value.get("observations"), list) and "type" not in value:
        if value.get("input") is not None:
            yield where, {"id": value.get("id"), "traceId": value.get("id"), "type": "TRACE", "input": value["input"],
                          "startTime": value.get("timestamp")}, None  # fmt: skip
        for index, item in enumerate(value["observations"]):
            yield at(where, f"observations[{index}]") or "", item, value
    elif isinstance(value, dict) and isinstance(value.get("data"), list) and "type" not in value:
        for index, item in enumerate(value["data"]):
            yield at(where, f"data[{index}]") or "", item, trace
    else:
        yield where, value, trace


def _step(document: Document, value: Any, where: str, trace: dict[str, Any] | None, order: int) -> Step:
    step = new_step(document, value, where, order, "a Langfuse observation")
    if step.problem is not None:
        return step
    fields = {snake(key): item for key, item in value.items()}
    if not fields.get("trace_id") and trace is not None:
        fields["trace_id"] = trace.get("id")
    if not identified(step, document, value, {"id": fields.get("id"), "traceId": fields.get("trace_id")}, "observation"):
        return step
    step.trace_id, step.span_id = fields["trace_id"], fields["id"]
    step.parent_id = fields.get("parent_observation_id") or None
    step.start, step.end = when(fields.get("start_time")), when(fields.get("end_time"))
    kind = str(fields.get("type") or "").upper()
    given, result = parsed(fields.get("input")), parsed(fields.get("output"))
    metadata = {key: item for key, item in fields.items() if key not in _USED and item not in (None, "", [], {})}
    if "metadata" in metadata:
        metadata["langfuse_metadata"] = metadata.pop("metadata")
    try:
        if kind == "GENERATION":
            step.call = _model_call(given, result, fields, metadata)
        elif kind == "TOOL":
            own = fields.get("metadata") if isinstance(fields.get("metadata"), dict) else {}
            failed = fields.get("level") == "ERROR"
            step.tool = ToolRun(fields.get("name"), own.get("tool_call_id") or own.get("toolCallId"), given, result,
                                (fields.get("status_message") or "failed") if failed else None)  # fmt: skip
        elif given is not None:
            step.context = opening(given)
    except Unreadable as exc:
        return unreadable_step(step, exc)
    step.metadata = {"observation_type": kind or None, **metadata}
    if trace is not None:
        step.metadata["langfuse_trace"] = {key: item for key, item in trace.items()
                                           if key not in ("observations", "input", "output") and item is not None}  # fmt: skip
    return step


def _model_call(given: Any, result: Any, fields: dict[str, Any], metadata: dict[str, Any]) -> ModelCall:
    tools = None
    if isinstance(given, dict) and isinstance(given.get("messages"), list):
        tools = given.get("tools") or given.get("functions")
        rest = {key: item for key, item in given.items() if key not in ("messages", "tools", "functions")}
        if rest:
            metadata["input_settings"] = rest
        given = given["messages"]
    if isinstance(given, str):
        messages: list[dict[str, Any]] | None = [{"role": "user", "content": given}]
    elif given is None:
        messages = None
    else:
        messages = chat_messages(given)
        if messages is None:
            raise Unreadable("input", "expected a list of messages, {messages: [...]} or a prompt text")
    answer, rest = assistant_output(result) if result is not None else (None, {})
    if result is not None and answer is None:
        raise Unreadable("output", "expected an assistant message, a text or a chat completion")
    if rest:
        metadata["output_details"] = rest
    if tools is not None and not (isinstance(tools, list) and all(isinstance(tool, dict) for tool in tools)):
        raise Unreadable(FIELDS["tools"], "expected a list of tool definitions")
    model = fields.get("model") or fields.get("provided_model_name")
    return ModelCall(messages, answer, tools, str(model) if model else None, FIELDS["messages"], FIELDS["response"])

