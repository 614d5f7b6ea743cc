"""OpenTelemetry GenAI semantic-convention spans (OTLP JSON) as steps of a trace.

Follows the GenAI conventions of OpenTelemetry semantic-conventions **v1.41.0** (`docs/gen-ai/`:
gen-ai-spans.md, gen-ai-input-messages.json, gen-ai-output-messages.json,
gen-ai-system-instructions.json, gen-ai-tool-definitions.json; the conventions moved to the
semantic-conventions-genai repository after it), and the event-based form of **v1.28 to v1.36**
(gen-ai-events.md), plus the span events of **v1.27** (`gen_ai.content.prompt` / `.completion`).

- **Model call**: a span whose `gen_ai.operation.name` is `chat`, `text_completion` or
  `generate_content` (or that has no operation name but carries messages). Its input is
  `gen_ai.system_instructions` (parts) then `gen_ai.input.messages` (`[{"role", "parts": [...]}]`,
  a JSON string or a structured value); parts of type `text`, `tool_call` (`id`, `name`,
  `arguments`), `tool_call_response` (`id`, `response`: one tool turn each), `reasoning`, and
  `blob` / `uri` / `file` (kept as attachment references); other parts stay on the message under
  `other_parts`. Its output is `gen_ai.output.messages` (the first; the others and each
  `finish_reason` go to metadata). Tools offered: `gen_ai.tool.definitions`. Model:
  `gen_ai.response.model`, else `gen_ai.request.model`.
- **Older, event-based**: events `gen_ai.system.message`, `gen_ai.user.message`,
  `gen_ai.assistant.message` (`tool_calls`), `gen_ai.tool.message` (`id`), `gen_ai.choice`
  (`index`, `finish_reason`, `message`), their body fields read from the event's body (a log
  record's `body`, an attribute `body` / `event.body` / `gen_ai.event.content`) or from its
  attributes; and v1.27's `gen_ai.content.prompt` / `gen_ai.content.completion` events
  (`gen_ai.prompt` / `gen_ai.completion`: OpenAI-style message lists as JSON).
- **OpenLLMetry / Traceloop** (the flattened form many instrumentations still write):
  `gen_ai.prompt.{i}.role` / `.content` / `.tool_call_id` / `.tool_calls.{j}.id|name|arguments`,
  `gen_ai.completion.{i}...` (the first choice is the answer, its `finish_reason` to metadata) and
  `llm.request.functions.{i}.name|description|parameters` (the tools offered).
- **Tool execution**: `gen_ai.operation.name` = `execute_tool`: `gen_ai.tool.name`,
  `gen_ai.tool.call.id`, `gen_ai.tool.call.arguments`, `gen_ai.tool.call.result` (an error status
  without a result: the status message as the result).
- **Agent spans** (`invoke_agent` ...) carrying `gen_ai.input.messages` give a conversation's
  opening when its first model call recorded none.

Everything else (usage `gen_ai.usage.*`, request settings, provider, response id, other
attributes and events, status, resource) goes to the record's metadata.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from annotate.ingest.traces.assemble import Document, ModelCall, Step, ToolRun, Unreadable, json_text, unreadable_step
from annotate.ingest.traces.messages import assistant_output, chat_messages, parsed
from annotate.ingest.traces.openinference import take
from annotate.ingest.traces.otlp import RawSpan, read_requests

MODEL_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})
INPUT, OUTPUT = "gen_ai.input.messages", "gen_ai.output.messages"
SYSTEM, TOOLS = "gen_ai.system_instructions", "gen_ai.tool.definitions"
MESSAGE_EVENTS = {"gen_ai.system.message": "system", "gen_ai.user.message": "user",
                  "gen_ai.assistant.message": "assistant", "gen_ai.tool.message": "tool"}  # fmt: skip
EVENTS = frozenset({*MESSAGE_EVENTS, "gen_ai.choice", "gen_ai.content.prompt", "gen_ai.content.completion"})
# OpenLLMetry (Traceloop) writes the messages flattened into indexed attributes, before the conventions had them
INDEXED_PROMPT, INDEXED_COMPLETION, INDEXED_FUNCTIONS = "gen_ai.prompt", "gen_ai.completion", "llm.request.functions"
FIELDS = {"messages": f"attributes.{INPUT}", "response": f"attributes.{OUTPUT}", "tools": f"attributes.{TOOLS}"}  # a record's, in a span


def steps(documents: Iterable[Document]) -> list[Step]:
    spans, problems, _ = read_requests(documents)
    return [*problems, *(span_step(span) for span in spans)]


def span_step(span: RawSpan) -> Step:
    step = span.step()
    attrs = dict(span.attributes)
    operation = _text(attrs.get("gen_ai.operation.name"))
    carries = (INPUT in attrs or OUTPUT in attrs or any(_text(event.get("name")) in EVENTS for event in span.events)
               or any(key.startswith((INDEXED_PROMPT + ".", INDEXED_COMPLETION + ".")) for key in attrs))  # fmt: skip
    events = list(span.events)
    try:
        if operation == "execute_tool" or (operation is None and "gen_ai.tool.name" in attrs and not carries):
            step.tool = ToolRun(attrs.pop("gen_ai.tool.name", None) or span.name, attrs.pop("gen_ai.tool.call.id", None),
                                parsed(attrs.pop("gen_ai.tool.call.arguments", None)), attrs.pop("gen_ai.tool.call.result", None),
                                span.status.get("message") or "failed" if span.failed else None)  # fmt: skip
        elif operation in MODEL_OPERATIONS or (operation is None and carries):
            step.call, events, extras = _model_call(attrs, events)
            step.metadata.update(extras)
        elif INPUT in attrs:
            step.context = _messages(_json(attrs, INPUT), f"attributes.{INPUT}")
    except Unreadable as exc:
        return unreadable_step(step, exc)
    step.metadata = {**span.base_metadata(attrs, events), **step.metadata}
    return step


def _model_call(attrs: dict[str, Any], events: list[dict[str, Any]]) -> tuple[ModelCall, list[dict[str, Any]], dict[str, Any]]:
    extras: dict[str, Any] = {}
    system, given, output = _json(attrs, SYSTEM), _json(attrs, INPUT), _json(attrs, OUTPUT)
    messages = _messages(given, f"attributes.{INPUT}") if given is not None else None
    if system is not None:
        messages = [_system(system), *(messages or [])]
    answer = _output(output, extras) if output is not None else None
    if messages is None and any(key.startswith(INDEXED_PROMPT + ".") for key in attrs):
        messages = _indexed_messages(take(attrs, INDEXED_PROMPT))
    if answer is None and any(key.startswith(INDEXED_COMPLETION + ".") for key in attrs):
        answer = _indexed_answer(take(attrs, INDEXED_COMPLETION), extras)
    if messages is None or answer is None:
        from_events, answer_from_events, events = _from_events(events, extras)
        messages = messages if messages is not None else from_events
        answer = answer if answer is not None else answer_from_events
    tools = _json(attrs, TOOLS)
    if tools is None and any(key.startswith(INDEXED_FUNCTIONS + ".") for key in attrs):
        tools = [{"type": "function", "function": {**function, "parameters": parsed(function.get("parameters"))}}
                 if isinstance(function, dict) and function.get("parameters") is not None
                 else {"type": "function", "function": function} for function in take(attrs, INDEXED_FUNCTIONS)]  # fmt: skip
    if tools is not None and not (isinstance(tools, list) and all(isinstance(tool, dict) for tool in tools)):
        raise Unreadable(f"attributes.{TOOLS}", "expected a list of tool definitions")
    model = attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model")
    call = ModelCall(messages, answer, tools, str(model) if model else None, FIELDS["messages"], FIELDS["response"])
    return call, events, extras


def _indexed_messages(entries: list[Any]) -> list[dict[str, Any]]:
    """OpenLLMetry's flattened prompt (`gen_ai.prompt.{i}.role/content/tool_call_id`,
    `.tool_calls.{j}.id/name/arguments`) as chat messages."""
    return [_indexed_message(entry) for entry in entries if isinstance(entry, dict)]


def _indexed_message(entry: dict[str, Any]) -> dict[str, Any]:
    message = {key: value for key, value in entry.items() if key not in ("tool_calls", "finish_reason")}
    calls = entry.get("tool_calls")
    if isinstance(calls, list):
        message["tool_calls"] = [{"id": call.get("id"), "type": "function",
                                  "function": {"name": call.get("name"), "arguments": call.get("arguments")}}
                                 for call in calls if isinstance(call, dict)]  # fmt: skip
    return chat_messages([message])[0]


def _indexed_answer(entries: list[Any], extras: dict[str, Any]) -> dict[str, Any] | None:
    """OpenLLMetry's flattened completion (`gen_ai.completion.{i}...`): the first choice."""
    choices = [entry for entry in entries if isinstance(entry, dict)]
    if not choices:
        return None
    if choices[0].get("finish_reason") is not None:
        extras["finish_reason"] = choices[0]["finish_reason"]
    if len(choices) > 1:
        extras["other_choices"] = choices[1:]
    answer = _indexed_message({**choices[0], "role": "assistant"})
    return {key: value for key, value in answer.items() if key != "role"}


def _text(value: Any) -> str | None:
    """A name read from a span (an operation, an event name), or None when it is not text."""
    return value if isinstance(value, str) else None


def _json(attrs: dict[str, Any], key: str) -> Any:
    """A content attribute (popped: the record holds it now), parsed when it is JSON text."""
    value = attrs.pop(key, None)
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise Unreadable(f"attributes.{key}", f"not valid JSON: {getattr(exc, 'msg', exc)}") from None


def _messages(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise Unreadable(where, "expected a list of messages")
    messages: list[dict[str, Any]] = []
    for index, message in enumerate(value):
        if not isinstance(message, dict):
            raise Unreadable(f"{where}[{index}]", "a message must be an object")
        if "parts" not in message:  # an OpenAI-style message
            messages.extend(chat_messages([message]) or [])
            continue
        messages.extend(_from_parts(message, f"{where}[{index}]", messages))
    return messages


def _from_parts(message: dict[str, Any], where: str, earlier: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One convention message as chat turns: its tool results (one tool turn each), then the rest."""
    parts = message.get("parts")
    if not isinstance(parts, list):
        raise Unreadable(f"{where}.parts", "expected a list of parts")
    content: list[dict[str, Any]] = []
    calls, results, reasoning, other = [], [], [], []
    for index, part in enumerate(parts):
        if not isinstance(part, dict):
            raise Unreadable(f"{where}.parts[{index}]", "a part must be an object")
        kind = part.get("type")
        if kind == "text":
            content.append({"type": "text", "text": part.get("content")})
        elif kind == "tool_call":
            arguments = part.get("arguments")
            calls.append({"id": part.get("id"), "type": "function", "function": {"name": part.get("name"),
                          "arguments": arguments if isinstance(arguments, str) or arguments is None else json_text(arguments)}})  # fmt: skip
        elif kind == "tool_call_response":
            results.append(part)
        elif kind == "reasoning":
            reasoning.append(str(part.get("content") or ""))
        elif kind in ("blob", "uri", "file"):
            content.append(_media(part))
        else:
            other.append(part)
    turns = [_tool_result(part, [*earlier, *content]) for part in results]
    if content or calls or other or reasoning or not turns:
        turn: dict[str, Any] = {"role": message.get("role"), "content": content}
        for key, value in (("tool_calls", calls), ("reasoning_content", "\n".join(reasoning)), ("other_parts", other)):
            if value:
                turn[key] = value
        for key, value in message.items():
            if key not in ("role", "parts") and value is not None:
                turn[key] = value
        turns.append(turn)
    return turns


def _tool_result(part: dict[str, Any], earlier: list[dict[str, Any]]) -> dict[str, Any]:
    response = part.get("response", part.get("result"))
    turn = {"role": "tool", "tool_call_id": part.get("id"), "content": response if isinstance(response, str) else json_text(response)}
    for message in earlier:
        calls = message.get("tool_calls") if isinstance(message, dict) else None
        for call in calls if isinstance(calls, list) else []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and call.get("id") and call.get("id") == part.get("id"):
                turn["name"] = function.get("name")
    return {key: value for key, value in turn.items() if value is not None}


def _media(part: dict[str, Any]) -> dict[str, Any]:
    """A blob, uri or file part as the OpenAI content part that says the same (a reference, never fetched)."""
    modality, mime = part.get("modality"), str(part.get("mime_type") or "")
    if part["type"] == "blob" and modality == "image":
        return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{part.get('content') or ''}"}}
    if part["type"] == "blob" and modality == "audio":
        return {"type": "input_audio", "input_audio": {"data": part.get("content"), "format": mime.rpartition("/")[2] or None}}
    if part["type"] == "uri" and modality == "image":
        return {"type": "image_url", "image_url": {"url": part.get("uri")}}
    if part["type"] == "blob":
        return {"type": "file", "file": {"file_data": part.get("content")}}
    return {"type": "file", "file": {"file_url": part.get("uri"), "file_id": part.get("file_id"), "filename": part.get("file_id")}}


def _system(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"role": "system", "content": value}
    if not isinstance(value, list):
        raise Unreadable(f"attributes.{SYSTEM}", "expected a list of parts")
    return _from_parts({"role": "system", "parts": value}, f"attributes.{SYSTEM}", [])[-1]


def _output(value: Any, extras: dict[str, Any]) -> dict[str, Any] | None:
    if not isinstance(value, list):
        raise Unreadable(f"attributes.{OUTPUT}", "expected a list of output messages")
    if not value:
        return None
    turns = _messages(value[:1], f"attributes.{OUTPUT}")
    answer = next((turn for turn in turns if turn.get("role") != "tool"), None)
    if answer is None:
        return None
    if len(value) > 1:
        extras["other_output_messages"] = value[1:]
    return {key: item for key, item in answer.items() if key != "role"}


def _from_events(events: list[dict[str, Any]], extras: dict[str, Any]) -> tuple[list | None, dict | None, list[dict[str, Any]]]:
    """The input and output the older event-based convention records; the events left unread."""
    messages: list[dict[str, Any]] = []
    answer: dict[str, Any] | None = None
    left = []
    for index, event in enumerate(events):
        name = _text(event.get("name"))
        if name not in EVENTS:
            left.append(event)
            continue
        body = _body(event, index)
        if name in MESSAGE_EVENTS:
            messages.append(_event_message(MESSAGE_EVENTS[name], body))
        elif name == "gen_ai.choice":
            if answer is not None or body.get("index") not in (None, 0):
                extras.setdefault("other_choices", []).append(body)
                continue
            message = body.get("message") if isinstance(body.get("message"), dict) else {}
            answer = _event_message("assistant", {**message, **({"tool_calls": body["tool_calls"]} if "tool_calls" in body else {})})
            answer.pop("role")
            if body.get("finish_reason") is not None:
                extras["finish_reason"] = body["finish_reason"]
        elif name == "gen_ai.content.prompt":
            messages.extend(chat_messages(parsed(body.get("gen_ai.prompt"))) or [])
        else:
            answer, rest = assistant_output(body.get("gen_ai.completion"))
            extras.update(rest)
    return (messages or None), answer, left


def _body(event: dict[str, Any], index: int) -> dict[str, Any]:
    """An event's body: a log record's, a body attribute's (JSON text), or the attributes themselves;
    its `message` and `tool_calls` parsed when they were written as JSON text."""
    body = event.get("body")
    attrs = event.get("attributes") or {}
    for key in ("body", "event.body", "gen_ai.event.content"):
        if body is None and key in attrs:
            body = parsed(attrs[key])
    if body is None:
        body = attrs
    if not isinstance(body, dict):
        raise Unreadable(f"events[{index}]", f"the body of a {event.get('name')} event must be an object")
    return {key: parsed(value) if key in ("tool_calls", "toolCalls", "message") else value for key, value in body.items()}


def _event_message(role: str, body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": role, "content": body.get("content")}
    if body.get("role") not in (None, role):
        message["original_role"] = body["role"]
    call_id = body.get("id", body.get("tool_call_id", body.get("toolCallId")))
    if role == "tool" and call_id is not None:
        message["tool_call_id"] = call_id
    calls = body.get("tool_calls", body.get("toolCalls"))
    if isinstance(calls, list):
        message["tool_calls"] = [{"id": call.get("id"), "type": call.get("type") or "function", "function": call.get("function") or {}}
                                 for call in calls if isinstance(call, dict)]  # fmt: skip
    return message
