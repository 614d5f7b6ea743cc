"""Tool calls as one readable text, and back: the form experts read and edit, Label Studio shows,
flaggers and similarity compare, and models are scored on.

A response that calls tools is shown as its text (if any) followed by one block a call, in the
widely used Hermes / Qwen form that many chat templates and tool-calling models produce:

    Let me look that up.
    <tool_call>
    {"name": "get_weather", "arguments": {"city": "Paris"}}
    </tool_call>

`response_text` renders a response (content, calls, refusal) this way; `split_response` reads
such a text back into its content and calls (arguments parsed when they are JSON, kept as the
raw text when not, so a malformed call survives to be flagged); `call_problems` says what is
wrong with one call against the tools offered (unknown name, arguments not JSON or not matching
the tool's parameter schema). Calls are stored in OpenAI's shape:
`{"id": ..., "type": "function", "function": {"name": ..., "arguments": "<JSON text>"}}`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

OPEN, CLOSE = "<tool_call>", "</tool_call>"
_BLOCK = re.compile(r"[ \t]*<tool_call>\s*(.*?)\s*</tool_call>[ \t]*\n?", re.DOTALL)


@dataclass(frozen=True)
class Call:
    """One tool call read from a text or a stored call: its name and arguments (a parsed JSON
    value, or the raw text when it is not JSON: then `arguments_error` says why)."""

    name: str
    arguments: Any
    arguments_error: str | None = None
    id: str | None = None

    @property
    def arguments_text(self) -> str:
        """The arguments as OpenAI stores them: JSON text (the raw text when it was not JSON)."""
        if self.arguments_error is not None:
            return str(self.arguments)
        return json.dumps(self.arguments, ensure_ascii=False)

    def as_openai(self, index: int = 0) -> dict[str, Any]:
        return {"id": self.id or f"call_{index}", "type": "function",
                "function": {"name": self.name, "arguments": self.arguments_text}}  # fmt: skip


@dataclass(frozen=True)
class SplitResponse:
    content: str
    calls: tuple[Call, ...]
    problems: tuple[str, ...] = ()  # a block that is not a call, in words


def call_from_openai(call: dict[str, Any]) -> Call:
    """A stored (OpenAI-shaped) call as a `Call`; `arguments` is parsed from its JSON text."""
    function = call.get("function") if isinstance(call.get("function"), dict) else call
    name = str(function.get("name") or "")
    raw = function.get("arguments")
    if isinstance(raw, (dict, list)) or raw is None:
        return Call(name, raw if raw is not None else {}, None, call.get("id"))
    arguments, error = parse_arguments(str(raw))
    return Call(name, arguments, error, call.get("id"))


def parse_arguments(text: str) -> tuple[Any, str | None]:
    """(parsed value, None), or (the raw text, why it is not a JSON object)."""
    try:
        value = json.loads(text) if text.strip() else {}
    except (json.JSONDecodeError, RecursionError) as exc:
        return text, f"arguments are not valid JSON ({exc.msg if hasattr(exc, 'msg') else exc})"
    if not isinstance(value, dict):
        return text, "arguments are not a JSON object"
    return value, None


def render_call(call: Call) -> str:
    arguments: Any = call.arguments if call.arguments_error is None else str(call.arguments)
    body = json.dumps({"name": call.name, "arguments": arguments}, ensure_ascii=False)
    return f"{OPEN}\n{body}\n{CLOSE}"


def response_text(content: str | None, tool_calls: list[dict] | None = None, refusal: str | None = None) -> str:
    """The one text of a response: its content as written (the refusal when it has no content),
    then a block per tool call."""
    text = content if content and content.strip() else (refusal or "")
    if not tool_calls:
        return text
    blocks = [render_call(call_from_openai(call)) for call in tool_calls]
    return "\n".join(part for part in [text.strip(), *blocks] if part)


def has_calls(text: str) -> bool:
    return OPEN in text


def split_response(text: str) -> SplitResponse:
    """A response text as its content and calls (`response_text` read back)."""
    if OPEN not in text:
        return SplitResponse(text.strip(), ())
    calls: list[Call] = []
    problems: list[str] = []
    for number, match in enumerate(_BLOCK.finditer(text), start=1):
        call, problem = _block_call(match.group(1))
        if problem:
            problems.append(f"tool call {number}: {problem}")
        if call is not None:
            calls.append(call)
    content = _BLOCK.sub("", text).strip()
    if OPEN in content or CLOSE in content:
        problems.append(f"a {OPEN} block is not closed")
    return SplitResponse(content, tuple(calls), tuple(problems))


def _block_call(body: str) -> tuple[Call | None, str | None]:
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, RecursionError) as exc:
        return None, f"not JSON ({getattr(exc, 'msg', exc)})"
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"].strip():
        return None, 'expected {"name": ..., "arguments": {...}}'
    arguments = value.get("arguments", value.get("parameters", {}))
    if isinstance(arguments, str):
        parsed, error = parse_arguments(arguments)
        return Call(value["name"], parsed, error), error
    if not isinstance(arguments, dict):
        return Call(value["name"], json.dumps(arguments), "arguments are not a JSON object"), "arguments are not a JSON object"
    return Call(value["name"], arguments), None


def tool_schemas(tools: list[dict] | None) -> dict[str, dict]:
    """Offered tools by name: name -> parameters JSON schema ({} when the tool declares none)."""
    schemas: dict[str, dict] = {}
    for tool in tools or []:
        function = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        name = function.get("name")
        if isinstance(name, str) and name:
            parameters = function.get("parameters")
            schemas[name] = parameters if isinstance(parameters, dict) else {}
    return schemas


def call_problems(call: Call, schemas: dict[str, dict]) -> list[str]:
    """What is wrong with one call given the offered tools (name -> parameter schema), in words."""
    if call.arguments_error is not None:
        return [f"{call.name}: {call.arguments_error}"]
    if call.name not in schemas:
        offered = ", ".join(sorted(schemas)) or "none"
        return [f"unknown tool {call.name!r} (offered: {offered})"]
    return [f"{call.name}: {problem}" for problem in schema_problems(call.arguments, schemas[call.name])]


def schema_problems(arguments: Any, schema: dict) -> list[str]:
    """Where `arguments` breaks the JSON schema, one line each (a broken schema is said once)."""
    if not schema:
        return []
    validator = _validator(json.dumps(schema, sort_keys=True))
    if isinstance(validator, str):
        return [validator]
    problems = []
    for error in sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(part) for part in error.absolute_path)
        problems.append(f"{where}: {error.message}" if where else error.message)
    return problems


@lru_cache(maxsize=256)
def _validator(schema_text: str) -> Any:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    schema = json.loads(schema_text)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return f"the tool's parameter schema is not a valid JSON schema: {exc.message}"
    return Draft202012Validator(schema)


def tool_call_problems(text: str | None, tools: list[dict] | None) -> list[str]:
    """What is wrong with the tool calls in a response text, one line each, naming the call: blocks
    that are not calls, arguments that are not a JSON object, and, when the offered tools are known
    (`tools` is not None), a tool not offered or arguments that break its parameter schema."""
    if not text or not has_calls(text):
        return []
    split = split_response(text)
    problems = list(split.problems)
    schemas = tool_schemas(tools) if tools is not None else None
    for number, call in enumerate(split.calls, start=1):
        if call.arguments_error is not None:
            # `split_response` said so too, by block number: keep one line, naming the call
            problems = [p for p in problems if not p.endswith(call.arguments_error)]
            found = [call.arguments_error]
        elif schemas is None:
            found = []
        else:
            found = [_without_name(problem, call.name) for problem in call_problems(call, schemas)]
        problems += [f"tool call {number} ({call.name}): {problem}" for problem in found]
    return problems


def _without_name(problem: str, name: str) -> str:
    """`call_problems` starts a line with the tool's name; the line here names the call already."""
    return problem[len(name) + 2 :] if problem.startswith(f"{name}: ") else problem
