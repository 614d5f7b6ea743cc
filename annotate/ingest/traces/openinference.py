"""OpenInference spans (what Arize Phoenix and its instrumentors write) as steps of a trace.

Follows the OpenInference semantic conventions as of Arize-ai/openinference `spec/` at commit
1fe497f (2026-08-21): semantic_conventions.md, llm_spans.md, tool_calling.md. Two shapes:

- **OTLP JSON** export requests (see `otlp`), attributes flattened as the spec writes them.
- **Phoenix's span JSON**, one span a line (or a page `{"data": [...]}`, or a list), as its REST
  API (`GET /v1/projects/{id}/spans`) and span dataframes write it: `name`, `context.trace_id`,
  `context.span_id`, `parent_id`, `span_kind`, `start_time`, `end_time` (ISO 8601, or epoch
  numbers), `status_code`, `status_message`, `events`, and `attributes` either flattened
  (`"llm.input_messages.0.message.role"`) or nested (`{"llm": {"input_messages": [{"message":
  {...}}]}}`, Phoenix's stored form; dataframe columns `attributes.llm...` too).

Span kinds (`openinference.span.kind`, or Phoenix's `span_kind`):
- **LLM** (a model call): input `llm.input_messages.{i}.message.{role, content, name,
  tool_call_id, contents.{j}.message_content.{type, text, image.image.url},
  tool_calls.{k}.tool_call.{id, function.name, function.arguments}, function_call_name,
  function_call_arguments_json}`, else the JSON request in `input.value` (its `messages`), else
  `llm.prompts.{i}.prompt.text`; output `llm.output_messages.{i}.message...`, else `output.value`
  (a chat completion, or text), else `llm.choices.{i}.completion.text`; tools
  `llm.tools.{i}.tool.json_schema`; model `llm.model_name` (else `llm.response.model_name`,
  `llm.request.model_name`).
- **TOOL**: `tool.name` (else the span name), `tool_call.id` (or `tool.id`), arguments
  `input.value`, result `output.value`; an error status without a result: its message.
- **AGENT / CHAIN** and the rest: `input.value` (a text, or JSON with `messages`) opens a
  conversation whose first model call recorded no input.

Every other attribute (`llm.token_count.*`, `llm.invocation_parameters`, `llm.provider`,
`session.id`, `user.id`, `metadata`, `tag.tags`...) goes to metadata. `input.value` and
`output.value` of a model call are left out of it when its structured messages were read: they
repeat them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from annotate.ingest.traces.assemble import (Document, ModelCall, Step, ToolRun, Unreadable, at, identified, new_step,
                                             unreadable_step, when)
from annotate.ingest.traces.messages import assistant_output, chat_messages, openai_call, opening, parsed
from annotate.ingest.traces.otlp import RawSpan, get, read_requests

KIND = "openinference.span.kind"
_IO = ("input.value", "input.mime_type", "output.value", "output.mime_type")
FIELDS = {"messages": "attributes.llm.input_messages", "response": "attributes.llm.output_messages", "tools": "attributes.llm.tools"}


def steps(documents: Iterable[Document]) -> list[Step]:
    spans, problems, others = read_requests(documents, accepts=_is_phoenix)
    found: list[Step] = [*problems, *(span_step(span) for span in spans)]
    for document, where, value in others:
        page = value.get("data") if isinstance(value.get("data"), list) else None
        items = [(where, value)] if page is None else [(at(where, f"data[{index}]") or "", span) for index, span in enumerate(page)]
        for path, span in items:
            read = _phoenix_span(document, span, path, len(found))
            found.append(read if isinstance(read, Step) else span_step(read))
    return found


def _is_phoenix(value: Any) -> bool:
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        return bool(value["data"]) and all(_is_phoenix(item) for item in value["data"])
    return isinstance(value, dict) and ("context" in value or "context.span_id" in value or "span_kind" in value)


def _phoenix_span(document: Document, span: Any, where: str, order: int) -> RawSpan | Step:
    step = new_step(document, span, where, order, "a span")
    if step.problem is not None:
        return step
    step.line = document.line_of(get(get(span, "context"), "span_id") or get(span, "context.span_id"))[0]
    flat = flatten(span)
    trace_id, span_id = flat.pop("context.trace_id", None), flat.pop("context.span_id", None)
    if not identified(step, document, span, {"context.span_id": span_id, "context.trace_id": trace_id}, "span"):
        return step
    attributes = {key.removeprefix("attributes."): value for key, value in flat.items() if key.startswith("attributes.")}
    if flat.get("span_kind") and KIND not in attributes:
        attributes[KIND] = flat["span_kind"]
    status = {key: flat[name] for key, name in (("code", "status_code"), ("message", "status_message")) if flat.get(name)}
    used = {"name", "parent_id", "start_time", "end_time", "status_code", "status_message", "span_kind", "events"}
    other = {key: value for key, value in flat.items() if key not in used and not key.startswith(("attributes.", "events."))}
    events = [{"name": get(event, "name"), "time": get(event, "timestamp"), "attributes": get(event, "attributes") or {}}
              for event in span.get("events") or [] if isinstance(event, dict)]  # fmt: skip
    return RawSpan(trace_id, span_id, flat.get("parent_id") or None, str(flat.get("name") or ""),
                   when(flat.get("start_time")), when(flat.get("end_time")), attributes, events, status,
                   step.line, where, step.excerpt, order, other=other)  # fmt: skip


def span_step(span: RawSpan) -> Step:
    step = span.step()
    attrs = flatten(span.attributes)
    kind = str(attrs.pop(KIND, "") or "").upper()
    try:
        if kind == "LLM":
            step.call = _model_call(attrs)
        elif kind == "TOOL":
            step.tool = ToolRun(attrs.pop("tool.name", None) or span.name, attrs.pop("tool_call.id", None) or attrs.pop("tool.id", None),
                                parsed(attrs.pop("input.value", None)), attrs.pop("output.value", None),
                                span.status.get("message") or "failed" if span.failed else None)  # fmt: skip
        elif "input.value" in attrs:
            step.context = opening(attrs["input.value"])
    except Unreadable as exc:
        return unreadable_step(step, exc)
    step.metadata = span.base_metadata(attrs, span.events)
    if kind:
        step.metadata["span_kind"] = kind
    return step


def _model_call(attrs: dict[str, Any]) -> ModelCall:
    given, answers = take(attrs, "llm.input_messages"), take(attrs, "llm.output_messages")
    messages = _messages(given, "attributes.llm.input_messages")
    outputs = _messages(answers, "attributes.llm.output_messages")
    tools = [_tool(schema, index) for index, schema in enumerate(take(attrs, "llm.tools") or [])] or None
    prompts, choices = take(attrs, "llm.prompts"), take(attrs, "llm.choices")
    if given is not None or answers is not None:
        for key in _IO:  # the raw request and response repeat the messages read
            attrs.pop(key, None)
    request, response = parsed(attrs.get("input.value")), parsed(attrs.get("output.value"))
    if messages is None and isinstance(request, dict) and isinstance(request.get("messages"), list):
        attrs.pop("input.value", None)
        messages = chat_messages(request["messages"])
        tools = tools or request.get("tools")
        attrs["request"] = {key: value for key, value in request.items() if key not in ("messages", "tools")}
    if messages is None and prompts:
        messages = [{"role": "user", "content": _dig(prompts[0], "prompt", "text")}]
    answer = {key: value for key, value in outputs[0].items() if key != "role"} if outputs else None
    if outputs and len(outputs) > 1:
        attrs["other_output_messages"] = outputs[1:]
    if answer is None and response is not None:
        answer, rest = assistant_output(response)
        if answer is not None:
            attrs.pop("output.value", None)
            attrs.update({f"response_{key}": value for key, value in rest.items()})
    if answer is None and choices:
        answer = {"content": _dig(choices[0], "completion", "text")}
    model = attrs.get("llm.model_name") or attrs.get("llm.response.model_name") or attrs.get("llm.request.model_name")
    return ModelCall(messages, answer, tools, str(model) if model else None, FIELDS["messages"], FIELDS["response"])


def _messages(items: list[Any] | None, where: str) -> list[dict[str, Any]] | None:
    if items is None:
        return None
    messages = []
    for index, item in enumerate(items):
        message = item.get("message") if isinstance(item, dict) else None
        if not isinstance(message, dict):
            raise Unreadable(f"{where}.{index}", "expected message.role, message.content ...")
        turn: dict[str, Any] = {key: value for key, value in message.items() if key not in ("contents", "tool_calls")}
        listed = message.get("tool_calls")
        calls = [openai_call(_dig(call, "tool_call")) for call in listed] if isinstance(listed, list) else []
        if isinstance(message.get("contents"), list):
            turn["content"] = []
            for part in message["contents"]:
                _content(part if isinstance(part, dict) else {}, turn, calls)
        if turn.get("function_call_name"):
            calls.append({"id": None, "type": "function", "function": {"name": turn.pop("function_call_name"),
                          "arguments": turn.pop("function_call_arguments_json", None)}})  # fmt: skip
        if calls:
            turn["tool_calls"] = [{"type": "function", **call} for call in calls if isinstance(call, dict)]
        messages.extend(chat_messages([turn]) or [])
    return messages


def _content(part: dict[str, Any], turn: dict[str, Any], calls: list[Any]) -> None:
    """One `message_content` (with its `tool_call` for a `tool_use` item) into the turn."""
    content = _dig(part, "message_content") or {}
    kind = content.get("type")
    if kind == "reasoning":
        turn["reasoning_content"] = "\n".join(filter(None, [turn.get("reasoning_content"), content.get("text")]))
    elif kind == "tool_use":
        call = openai_call(part.get("tool_call"))
        if isinstance(call, dict) and all(call.get("id") != other.get("id") for other in calls if isinstance(other, dict)):
            calls.append(call)
    elif kind == "image":
        turn["content"].append({"type": "image_url", "image_url": {"url": _dig(content, "image", "image", "url")}})
    elif kind == "text" or (kind is None and "text" in content):
        turn["content"].append({"type": "text", "text": content.get("text")})
    else:
        turn["content"].append({**content, "type": kind or "part"})


def _tool(schema: Any, index: int) -> dict[str, Any]:
    value = parsed(_dig(schema, "tool", "json_schema"))
    if not isinstance(value, dict):
        raise Unreadable(f"attributes.llm.tools.{index}.tool.json_schema", "expected a tool definition (a JSON object)")
    return value


def take(attrs: dict[str, Any], prefix: str) -> list[Any] | None:
    """The attributes under `prefix.{i}...` (popped) as a list of nested values, or None if none."""
    keys = [key for key in attrs if key.startswith(prefix + ".")]
    if not keys:
        return None
    root: dict[str, Any] = {}
    for key in keys:
        node = root
        *parents, last = key[len(prefix) + 1 :].split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[last] = attrs.pop(key)
    listed = _lists(root)
    return listed if isinstance(listed, list) else [listed]


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


def flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested attributes as the spec's flat keys (lists of objects indexed; lists of plain values kept)."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            flat.update(flatten(item, f"{name}."))
        elif isinstance(item, list) and item and all(isinstance(element, dict) for element in item):
            for index, element in enumerate(item):
                flat.update(flatten(element, f"{name}.{index}."))
        else:
            flat[name] = item
    return flat


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


