"""`tool_call`: the model called a tool wrongly, or ignored what a tool told it.

Read from the response's calls (`records.tool_calls`, or the `<tool_call>` blocks of a response text
that has no such column), the assistant turns of the history that call tools, and the `tool`
results between them; the tools offered are `records.tools`. Each rule is one of
`[flagging] tool_call_checks`:
- `unknown_tool`: a call to a name the model was not offered. When the log records no function
  tools, names are not judged (nothing says which exist).
- `bad_arguments`: arguments that are not JSON, not a JSON object, or do not match the offered
  tool's parameter JSON schema (a missing required argument, a wrong type, an extra property where
  `additionalProperties` is false, ...); a `<tool_call>` block that is not a call.
- `repeated_call`: the same tool with the same arguments twice in the response, or a call the
  conversation already made (said when that earlier call returned an error: a retry loop).
- `ignored_error`: a tool result that reports an error (`annotate.text.tool_results.tool_error`)
  followed by an assistant turn (or the response) that neither calls a tool again nor mentions the
  problem (`[flagging] tool_error_mentions`).
One flag per record; its score is the worst problem's (`SCORES`; one in an earlier turn of the
history counts `HISTORY` as much as one in the response), its detail names every problem.

Most records call no tools: a record with no `tool_calls`, no `"tool` in its messages' JSON and no
`<tool_call>` in its response is passed over without parsing anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from annotate.config import Flagging
from annotate.flagging.base import Flag, RecordView
from annotate.records import FlagReason
from annotate.text.tool_calls import (
    OPEN,
    Call,
    call_from_openai,
    call_problems,
    schema_problems,
    split_response,
    tool_schemas,
)
from annotate.text.tool_results import mentions, tool_error

REASON: FlagReason = "tool_call"  # one of annotate.records.FLAG_REASONS
SCORES = {"unknown_tool": 1.0, "not_json": 1.0, "schema": 0.9, "ignored_error": 0.8, "repeated_call": 0.6}
HISTORY = 0.8  # a problem in an earlier turn weighs this much of the same problem in the response
SHOWN = 5  # problems named in a flag's detail
ARGUMENTS_SHOWN = 60  # characters of a call's arguments quoted in a detail


@dataclass(frozen=True)
class Problem:
    score: float
    text: str


def flag_tool_calls(records: list[RecordView], settings: Flagging) -> Iterator[Flag]:
    checks = frozenset(settings.tool_call_checks)
    words = tuple(settings.tool_error_mentions)
    if not checks:
        return
    for record in records:
        if not may_call_tools(record):
            continue
        problems = tool_call_problems(record, checks, words)
        if problems:
            yield Flag(record["id"], REASON, max(problem.score for problem in problems), _detail(problems))


def may_call_tools(record: RecordView) -> bool:
    """False for a record that certainly has no tool call or result (the cheap test most records take)."""
    return record["tool_calls"] is not None or '"tool' in record["messages"] or OPEN in record["response"]


def tool_call_problems(record: RecordView, checks: frozenset[str], words: tuple[str, ...]) -> list[Problem]:
    """Every problem of the record's tool use under the chosen checks, in conversation order."""
    schemas = tool_schemas(json.loads(record["tools"])) if record["tools"] else {}
    schemas = schemas or None  # None: no function tools recorded, so no name can be called unknown
    split = split_response(record["response"])
    problems: list[Problem] = []
    if record["tool_calls"]:  # the calls as logged; the text's blocks are their rendering
        response_calls = [call_from_openai(call) for call in json.loads(record["tool_calls"])]
    else:
        response_calls = list(split.calls)
        if "bad_arguments" in checks:
            problems += [Problem(SCORES["not_json"], f"the response has a {problem}") for problem in split.problems]
    made: dict[tuple[str, str], tuple[int, str | None]] = {}  # call -> (message number, call id) in the history
    names: dict[str | None, str] = {}  # call id -> tool name
    failed: set[str] = set()  # ids of calls whose result reported an error
    conversation = record.conversation
    for index, message in enumerate(conversation):
        number = index + 1
        if message.get("role") == "assistant" and message.get("tool_calls"):
            for call in (call_from_openai(item) for item in message["tool_calls"]):
                problems += [Problem(score * HISTORY, f"earlier (message {number}): {text}")
                             for score, text in _call_problems(call, schemas, checks)]  # fmt: skip
                made.setdefault(_key(call), (number, call.id))
                names[call.id] = call.name
        elif message.get("role") == "tool" and (evidence := tool_error(str(message.get("content") or ""))):
            failed.add(message.get("tool_call_id") or "")
            if "ignored_error" in checks:
                tool = names.get(message.get("tool_call_id")) or message.get("name") or "a tool"
                problems += _ignored(tool, evidence, _next_answer(conversation, index, response_calls, split.content), words)
    for call in response_calls:
        problems += [Problem(score, text) for score, text in _call_problems(call, schemas, checks)]
    if "repeated_call" in checks:
        problems += _repeats(response_calls, made, failed)
    return problems


def _call_problems(call: Call, schemas: dict[str, dict] | None, checks: frozenset[str]) -> list[tuple[float, str]]:
    """(score, words) of what is wrong with one call; names and schemas are judged only when tools were offered."""
    if not call.name.strip():
        return [(SCORES["unknown_tool"], "makes a call with no tool name")] if "unknown_tool" in checks else []
    if call.arguments_error is not None:
        if "bad_arguments" not in checks:
            return []
        error = call.arguments_error  # "arguments are not ...": "calls NAME with arguments that are not ..."
        said = f"with {error.replace('arguments are', 'arguments that are', 1)}" if error.startswith("arguments are") \
            else f"({error})"  # fmt: skip
        return [(SCORES["not_json"], f"calls {call.name} {said}")]
    if schemas is None:
        return []
    if call.name not in schemas:
        return [(SCORES["unknown_tool"], f"calls {problem}") for problem in call_problems(call, schemas)] \
            if "unknown_tool" in checks else []  # fmt: skip
    broken = schema_problems(call.arguments, schemas[call.name]) if "bad_arguments" in checks else []
    if not broken:
        return []
    shown = "; ".join(broken[:3]) + (f" (and {len(broken) - 3} more)" if len(broken) > 3 else "")
    return [(SCORES["schema"], f"calls {call.name} with arguments that do not match its schema: {shown}")]


def _next_answer(conversation: list[dict], index: int, response_calls: list[Call],
                 response_content: str) -> tuple[int | None, bool, str]:  # fmt: skip
    """(message number or None for the response, whether it calls a tool, its text) of the first
    assistant turn after the message at `index`."""
    for later in range(index + 1, len(conversation)):
        message = conversation[later]
        if message.get("role") == "assistant":
            return later + 1, bool(message.get("tool_calls")), str(message.get("content") or message.get("refusal") or "")
    return None, bool(response_calls), response_content


def _ignored(tool: str, evidence: str, answer: tuple[int | None, bool, str], words: tuple[str, ...]) -> list[Problem]:
    number, calls, text = answer
    if calls or mentions(text, words):
        return []
    if number is None:
        return [Problem(SCORES["ignored_error"], f"ignores the error {tool} returned ({evidence}): the response neither "
                                                 "retries nor tells the user")]  # fmt: skip
    return [Problem(SCORES["ignored_error"] * HISTORY, f"earlier (message {number}): ignores the error {tool} returned "
                                                       f"({evidence}): neither retries nor tells the user")]  # fmt: skip


def _repeats(calls: list[Call], made: dict[tuple[str, str], tuple[int, str | None]], failed: set[str]) -> list[Problem]:
    problems, seen = [], set()
    for call in calls:
        key = _key(call)
        shown = f"{call.name} {_short(call.arguments_text)}"
        if key in seen:
            problems.append(Problem(SCORES["repeated_call"], f"calls {shown} twice in the response"))
        elif key in made:
            number, call_id = made[key]
            after = ", which returned an error" if call_id is not None and call_id in failed else ""
            problems.append(Problem(SCORES["repeated_call"], f"repeats the call {shown} made in message {number}{after}"))
        seen.add(key)
    return problems


def _key(call: Call) -> tuple[str, str]:
    arguments: Any = call.arguments
    text = str(arguments) if call.arguments_error is not None else json.dumps(arguments, sort_keys=True, ensure_ascii=False)
    return call.name, text


def _detail(problems: list[Problem]) -> str:
    ordered = sorted(problems, key=lambda problem: -problem.score)  # stable: conversation order within a score
    more = f" (and {len(ordered) - SHOWN} more)" if len(ordered) > SHOWN else ""
    return "; ".join(problem.text for problem in ordered[:SHOWN]) + more


def _short(text: str) -> str:
    return text if len(text) <= ARGUMENTS_SHOWN else text[: ARGUMENTS_SHOWN - 1] + "…"
