"""Turn one parsed input line into a validated `RecordIn`, or say exactly what is wrong with it.

Accepted shapes: Flywheel's record format; a bare `prompt` string (one user message);
OpenAI-style chat logs with `messages` and either `response` (text or an assistant message), a
chat-completions `choices[0].message`, or a final assistant turn; the Responses API (see
`annotate.ingest.openai_shapes` for every OpenAI shape); tabular rows whose columns are mapped onto
record fields (`--map FIELD=COLUMN`, dotted fields such as `feedback.rating`). Fields
Flywheel does not know go into `metadata`, never into the void.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError

from annotate.config import IngestLimits
from annotate.ingest.openai_shapes import flatten_message, from_choice, from_responses_api, is_responses_api, take_assistant_message, unwrap_request
from annotate.ingest.readers import LineProblem, parse_json_object
from annotate.records import RecordIn
from annotate.text.clean import first_problem, load_json, looks_unclean
from annotate.text.tool_calls import response_text

RECORD_FIELDS = frozenset(RecordIn.model_fields)
MAPPABLE_FIELDS = (
    "id", "prompt", "messages", "response", "model", "created_at", "group",
    "feedback.thumbs", "feedback.rating", "feedback.comment", "logprobs.mean", "logprobs.min",
    "tool_calls", "tools", "refusal", "reasoning",
)  # fmt: skip
JSON_CELLS = frozenset({"messages", "tool_calls", "tools"})  # a table holds these as JSON text


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """`["prompt=question", ...]` to `{"prompt": "question"}`; raises ValueError on a bad pair."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise ValueError(f"--map {pair!r}: expected FIELD=COLUMN")
        if field not in MAPPABLE_FIELDS and not field.startswith("metadata."):
            raise ValueError(f"--map {pair!r}: unknown field {field!r}; fields: {', '.join(MAPPABLE_FIELDS)}")
        mapping[field] = column
    return mapping


def tabular_columns(header: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """Column-to-field map for a table: explicit mappings plus columns named like a field.

    Raises ValueError naming what is missing when a mapped column is absent, or when no
    column gives the prompt or the response.
    """
    missing = [f"{column!r} (for {field})" for field, column in mapping.items() if column not in header]
    if missing:
        raise ValueError(f"mapped column {', '.join(missing)} not in the header; columns are: {', '.join(header)}")
    columns = {column: field for field, column in mapping.items()}
    for name in header:
        if name not in columns and name in MAPPABLE_FIELDS and name not in mapping:
            columns[name] = name
    fields = set(columns.values())
    if not fields & {"prompt", "messages"}:
        raise ValueError(f"no column gives the prompt; map one with --map prompt=COLUMN (columns: {', '.join(header)})")
    if "response" not in fields:
        raise ValueError(f"no column gives the response; map one with --map response=COLUMN (columns: {', '.join(header)})")
    return columns


def from_table_row(row: dict[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    """A table row as a record-shaped dict: mapped columns nested, the rest into metadata."""
    record: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    for column, value in row.items():
        field = columns.get(column)
        if field is None:
            metadata[column] = value
        elif field.startswith("metadata."):
            metadata[field.removeprefix("metadata.")] = value
        elif "." in field:
            parent, child = field.split(".", 1)
            record.setdefault(parent, {})[child] = value
        elif field in JSON_CELLS and isinstance(value, str):
            record[field] = _json_cell(value)
        else:
            record[field] = value
    if metadata:
        record["metadata"] = metadata
    return record


def rename_fields(data: dict[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    """A JSON object with mapped keys renamed to record fields (dotted fields nested)."""
    record: dict[str, Any] = {}
    for key, value in data.items():
        field = columns.get(key, key)
        if "." in field:
            parent, child = field.split(".", 1)
            nested = record.setdefault(parent, {})
            if isinstance(nested, dict):
                nested[child] = value
        else:
            record[field] = value
    return record


def _json_cell(value: str) -> Any:
    parsed = load_json(value)
    return value if isinstance(parsed, LineProblem) else parsed  # if unparsable, validation says messages is not a list


def record_from_json_line(text: str, limits: IngestLimits, renames: Mapping[str, str] | None = None) -> RecordIn | LineProblem:
    """Validate one JSONL line.

    A clean line already in the record format is validated straight from its JSON text (the
    fast path); anything else is parsed, reshaped and validated field by field.
    """
    if not renames and check_limits(None, text, limits) is None:
        try:
            return RecordIn.model_validate_json(text)
        except ValidationError:
            pass  # another accepted shape, or a real problem: the slow path tells which
    data = parse_json_object(text, max_depth=limits.max_depth, max_chars=limits.max_field_chars)
    if isinstance(data, LineProblem):
        return data
    return record_from_data(rename_fields(data, renames) if renames else data, text, limits)


def record_from_data(data: dict[str, Any], text: str, limits: IngestLimits) -> RecordIn | LineProblem:
    """Validate one parsed line or row (`text`, when there is one, lets clean lines skip the deep checks)."""
    problem = check_limits(data, text, limits)
    if problem is not None:
        return problem
    if data.get("object") == "chat.completion.chunk":
        return LineProblem("object", "a streaming chunk (chat.completion.chunk) is one piece of an answer: log the "
                                     "assembled completion (the SDK's stream helpers give it) or the final message")  # fmt: skip
    data = _reshape(data, limits.keep_token_logprobs)
    try:
        return RecordIn.model_validate(data)
    except ValidationError as exc:
        return _first_problem(exc)


def _reshape(data: dict[str, Any], keep_token_logprobs: bool = False) -> dict[str, Any]:
    """Map the other accepted shapes (`annotate.ingest.openai_shapes`) onto the record format."""
    data = unwrap_request(dict(data))
    extras: dict[str, Any] = {}
    if "metadata" in data and data["metadata"] is None:
        del data["metadata"]  # what the OpenAI SDK writes when no metadata was sent
    if is_responses_api(data):
        shaped, extras = from_responses_api(data, keep_token_logprobs)
        data = {**{key: value for key, value in data.items() if key in RECORD_FIELDS and key not in ("reasoning", "created_at")},
                **shaped}  # fmt: skip
        if data.get("metadata") is None:
            data.pop("metadata", None)
    if "prompt" in data:
        prompt = data.pop("prompt")
        if "messages" in data:
            extras["prompt"] = prompt
        elif isinstance(prompt, list):
            data["messages"] = prompt
        else:
            data["messages"] = [{"role": "user", "content": prompt}]
    if "choices" in data:
        choices = data.pop("choices")
        if "response" in data:
            extras["choices"] = choices
        elif isinstance(choices, list) and choices and isinstance(choices[0], dict):
            from_choice(data, choices[0], extras, keep_token_logprobs)
            if len(choices) > 1:
                extras["other_choices"] = choices[1:]
        else:
            extras["choices"] = choices
    if isinstance(data.get("response"), dict):
        response = data.pop("response")
        take_assistant_message(data, response, extras)
    if isinstance(data.get("messages"), list):
        data["messages"] = [flatten_message(message) for message in data["messages"]]
    if "created" in data and "created_at" not in data:
        created = data.pop("created")
        data["created_at"] = _from_unix(created) if isinstance(created, (int, float)) else created
    if "response" not in data:
        messages = data.get("messages")
        if isinstance(messages, list) and len(messages) > 1 and isinstance(messages[-1], dict):
            if messages[-1].get("role") == "assistant":
                data["messages"] = messages[:-1]
                take_assistant_message(data, messages[-1], extras)
    _text_of_calls_or_refusal(data)
    for key in [key for key in data if key not in RECORD_FIELDS]:
        extras[key] = data.pop(key)
    if extras:
        metadata = data.get("metadata", {})
        if not isinstance(metadata, dict):
            return data  # validation reports the bad metadata
        merged = dict(metadata)
        for key, value in extras.items():
            merged[key if key not in merged else f"top_level.{key}"] = value
        data["metadata"] = merged
    return data


def _text_of_calls_or_refusal(data: dict[str, Any]) -> None:
    """A record given only its calls or its refusal (a table's empty response cell, a record-format
    line with `"response": ""`) shows them as its response text."""
    response = data.get("response")
    if response is not None and not (isinstance(response, str) and not response.strip()):
        return
    calls, refusal = data.get("tool_calls"), data.get("refusal")
    if isinstance(calls, list) and calls and all(isinstance(call, dict) for call in calls):
        data["response"] = response_text(response, calls, refusal if isinstance(refusal, str) else None)
    elif isinstance(refusal, str) and refusal.strip():
        data["response"] = refusal


def _from_unix(seconds: float) -> Any:
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()
    except (OverflowError, ValueError, OSError):
        return seconds  # out of a datetime's range: validation says so, naming created_at


def _first_problem(exc: ValidationError) -> LineProblem:
    error = exc.errors(include_url=False)[0]
    field = _dotted(error["loc"]) or None
    message = error["msg"].removeprefix("Value error, ")
    if field and message.startswith(f"{field}[") and ": " in message:
        field, message = message.split(": ", 1)  # a list validator naming the item at fault
    if error["type"] == "string_pattern_mismatch":
        message = "must not be empty or blank"
    elif error["type"] == "missing" and field == "messages":
        message = "missing: give messages or a prompt"
    elif error["type"] == "missing" and field == "response":
        message = "missing: give response, choices[0].message or a final assistant turn"
    return LineProblem(field, message)


def _dotted(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def check_limits(data: Any, text: str, limits: IngestLimits) -> LineProblem | None:
    """The clean-input rules (`annotate.text.clean`: NUL, lone surrogates, non-finite or over-long
    numbers, over-long fields, over-deep nesting), named by field.

    The raw line rules most records out cheaply: no field can be longer than the line, no nesting
    deeper than its count of brackets, and an unclean value leaves a mark in the text.
    """
    long_line = len(text) > limits.max_field_chars or not text
    deep_line = text.count("{") + text.count("[") > limits.max_depth or not text
    if not (long_line or deep_line or looks_unclean(text)):
        return None
    if data is None:
        return LineProblem(None, "needs the deep checks")
    return first_problem(data, max_depth=limits.max_depth, max_chars=limits.max_field_chars)
