"""A trace's steps as records: one per model call, its conversation in order.

Every format module reads its spans into `Step`s: a model call (`ModelCall`: input messages,
output message, offered tools, model), a tool execution (`ToolRun`: name, call id, arguments,
result), or another span (an agent or chain) whose input may open the conversation. `assemble`
groups the steps by trace, orders each trace by start time (by file order when a step has none)
and walks it:

- a model call whose own input is complete (it has a user turn, and every tool turn answers a call
  made in it) keeps that input as its history;
- a call whose input is missing or partial gets the conversation so far: the previous call's
  history and output, then the tool turns of the tool runs since, in order (a run without a call
  id answers the first unanswered call of its name); a first call with no input starts from the
  first agent or chain span's input. What its own input adds is kept after that (its system turns
  first). The record says which spans its history came from (`metadata.history_rebuilt_from`).

A record's messages and response stay in OpenAI's shapes (content parts, `tool_calls`, a
response message): `annotate.ingest.normalise` takes them apart like any other line. Known
limit: a trace holding two independent conversations (a sub-agent beside its planner) is rebuilt
as one when its spans do not record their own input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from annotate.ingest.traces.messages import parsed
from annotate.text.clean import LineProblem, first_problem


NO_LIMIT = 10**12  # the configured limits apply to the record built, not to the raw export


@dataclass(frozen=True)
class Document:
    """One JSON document of a file: a line, or the whole file (`text` kept to find a span's line).
    `suspect` says whether its text could hold an unclean value (`annotate.text.clean`)."""

    line: int
    value: Any
    text: str | None = None
    suspect: bool = True

    def line_of(self, raw_id: Any, after: int = 0) -> tuple[int, int]:
        """The line where the span with this id is written (the document's first line when unknown)."""
        if not self.text or not isinstance(raw_id, str):
            return self.line, after
        match = re.compile(r'"span_?[iI]d"\s*:\s*"' + re.escape(raw_id) + '"').search(self.text, after)
        if match is None:
            return self.line, after
        return self.line + self.text.count("\n", 0, match.start()), match.end()

    def unclean(self, value: Any) -> LineProblem | None:
        """The first unclean value (NaN, a lone surrogate, NUL, a number past 64 bits) in a part of
        this document; lengths and depth are judged on the record built, not on the raw export."""
        return first_problem(value, max_depth=NO_LIMIT, max_chars=NO_LIMIT) if self.suspect else None


class Unreadable(ValueError):
    """A span that cannot become part of a record: `field` is relative to the span."""

    def __init__(self, field: str | None, reason: str):
        super().__init__(reason)
        self.field, self.reason = field, reason


@dataclass
class ModelCall:
    messages: list[dict[str, Any]] | None  # the input, OpenAI-shaped; None when the span did not record it
    output: dict[str, Any] | None  # the assistant message, OpenAI-shaped; None when missing
    tools: list[dict[str, Any]] | None = None
    model: str | None = None
    input_field: str = "input"  # where the input is, relative to the span (for rejects)
    output_field: str = "output"


@dataclass
class ToolRun:
    name: str | None
    call_id: str | None = None
    arguments: Any = None
    result: Any = None
    error: str | None = None


@dataclass
class Step:
    """One span of a trace, reduced to what a conversation needs; `where` is its path in the file."""

    trace_id: str
    span_id: str
    line: int
    where: str
    excerpt: str = ""
    order: int = 0
    parent_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    call: ModelCall | None = None
    tool: ToolRun | None = None
    context: list[dict[str, Any]] | None = None  # an agent or chain span's input, as messages
    metadata: dict[str, Any] = field(default_factory=dict)
    problem: LineProblem | None = None


@dataclass(frozen=True)
class Outcome:
    """A record (a dict for `record_from_data`) or why a span gives none, with where it came from."""

    line: int
    where: str
    excerpt: str
    order: int
    record: dict[str, Any] | None = None
    problem: LineProblem | None = None


def at(where: str, relative: str | None) -> str | None:
    """A span's path joined with a field inside it."""
    if not relative:
        return where or None
    return f"{where}.{relative}" if where and not relative.startswith("[") else f"{where}{relative}"


def new_step(document: Document, value: Any, where: str, order: int, what: str) -> Step:
    """The step of one exported span (an observation, a run), refused when it is not an object."""
    step = Step("", "", document.line, where, excerpt(value), order)
    if not isinstance(value, dict):
        step.problem = LineProblem(where or None, f"expected {what} (an object), not {type(value).__name__}")
    return step


def identified(step: Step, document: Document, value: Any, ids: dict[str, Any], what: str) -> bool:
    """Whether a span has its ids (`field: value`) and only clean values; if not, the step says why."""
    for name, given in ids.items():
        if not isinstance(given, str) or not given.strip():
            step.problem = LineProblem(at(step.where, name), f"missing: every {what} needs its id and its trace's id")
            return False
    problem = document.unclean(value)
    if problem is not None:
        step.problem = LineProblem(at(step.where, problem.field), problem.reason)
        return False
    return True


def unreadable_step(step: Step, exc: Unreadable) -> Step:
    step.problem = LineProblem(at(step.where, exc.field), exc.reason)
    return step


def assemble(steps: Iterable[Step]) -> list[Outcome]:
    """Every step that is a model call as a record, every unreadable step as a reject, in file order."""
    outcomes: list[Outcome] = []
    traces: dict[str, list[Step]] = {}
    for step in steps:
        if step.problem is not None:
            outcomes.append(Outcome(step.line, step.where, step.excerpt, step.order, problem=step.problem))
        else:
            traces.setdefault(step.trace_id, []).append(step)
    for trace in traces.values():
        outcomes.extend(_conversations(trace))
    return sorted(outcomes, key=lambda outcome: (outcome.line, outcome.order))


def _conversations(trace: list[Step]) -> Iterable[Outcome]:
    timed = all(step.start is not None for step in trace)
    ordered = sorted(trace, key=lambda step: (step.start, step.order) if timed else (step.order,))
    so_far: list[dict[str, Any]] | None = None  # the last call's history and output
    so_far_from: list[str] = []
    opening: tuple[list[dict[str, Any]], str] | None = None  # the first agent or chain span's input
    pending: list[dict[str, Any]] = []  # tool turns since the last call
    pending_from: list[str] = []
    for step in ordered:
        if step.tool is not None:
            turn = _tool_turn(step.tool, so_far or [], pending)
            if turn is not None:
                pending.append(turn)
                pending_from.append(step.span_id)
            continue
        if step.call is None:
            if step.context and opening is None:
                opening = (step.context, step.span_id)
            continue
        if so_far is not None:
            base, base_from = so_far + pending, so_far_from + pending_from
        else:
            base = (opening[0] if opening else []) + pending
            base_from = ([opening[1]] if opening else []) + pending_from
        history, rebuilt = _history(step.call.messages, base)
        yield _outcome(step, history, base_from if rebuilt else None)
        so_far = history + ([_as_turn(step.call.output)] if step.call.output else [])
        so_far_from = (base_from if rebuilt else []) + [step.span_id]
        pending, pending_from = [], []


def _outcome(step: Step, history: list[dict[str, Any]], rebuilt_from: list[str] | None) -> Outcome:
    call = step.call
    assert call is not None
    where = (step.line, step.where, step.excerpt, step.order)
    if not history:
        return Outcome(*where, problem=LineProblem(at(step.where, call.input_field),
                       f"the model call's input messages are missing and no earlier span of trace {step.trace_id} gives them"))  # fmt: skip
    if call.output is None:
        return Outcome(*where, problem=LineProblem(at(step.where, call.output_field), "the model call has no output message"))
    metadata = dict(step.metadata)
    if step.parent_id:
        metadata["parent_span_id"] = step.parent_id
    if step.start and step.end:
        metadata["latency_ms"] = round((step.end - step.start).total_seconds() * 1000, 3)
    if rebuilt_from is not None:
        metadata["history_rebuilt_from"] = rebuilt_from
    record: dict[str, Any] = {
        "id": f"{step.trace_id}:{step.span_id}",
        "trace": {"trace_id": step.trace_id, "span_id": step.span_id},
        "messages": history,
        "response": {"role": "assistant", **call.output},
        "tools": call.tools,
        "model": call.model,
        "created_at": step.start.isoformat() if step.start else None,
        "metadata": metadata,
    }
    return Outcome(*where, record={key: value for key, value in record.items() if value is not None})


def _as_turn(output: dict[str, Any]) -> dict[str, Any]:
    """A call's output as the assistant turn later calls see (its bookkeeping left out)."""
    turn = {"role": "assistant"}
    for key in ("content", "tool_calls", "refusal", "name"):
        if output.get(key) is not None:
            turn[key] = output[key]
    turn.setdefault("content", "")
    return turn


def _history(own: list[dict[str, Any]] | None, base: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """The call's history and whether it was rebuilt from earlier spans."""
    if not own:
        return list(base), True
    if _complete(own) or not base:
        return list(own), False
    seen = {_key(message) for message in base}
    added = [message for message in own if _key(message) not in seen]
    systems = [message for message in added if isinstance(message, dict) and message.get("role") == "system"]
    rest = [message for message in added if not (isinstance(message, dict) and message.get("role") == "system")]
    return systems + list(base) + rest, True


def _complete(messages: list[dict[str, Any]]) -> bool:
    """A user turn, and every tool turn answers a call made earlier in the same list."""
    called: set[str] = set()
    has_user = False
    for message in messages:
        if not isinstance(message, dict):
            return True  # validation names it
        role = message.get("role")
        has_user = has_user or role == "user"
        for call in _each(message.get("tool_calls")):
            if isinstance(call, dict) and call.get("id"):
                called.add(str(call["id"]))
        if role == "tool" and message.get("tool_call_id") and str(message["tool_call_id"]) not in called:
            return False
    return has_user


def _key(message: Any) -> str:
    """What makes two turns the same turn (a tool turn: its call id)."""
    if not isinstance(message, dict):
        return json.dumps(message, sort_keys=True, default=str)
    if message.get("role") == "tool" and message.get("tool_call_id"):
        return f"tool\x1f{message['tool_call_id']}"
    calls = [(call.get("id"), (call.get("function") or {}).get("name"))
             for call in _each(message.get("tool_calls")) if isinstance(call, dict)]  # fmt: skip
    return json.dumps([message.get("role"), message.get("content"), calls], sort_keys=True, default=str)


def _tool_turn(run: ToolRun, so_far: list[dict[str, Any]], pending: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A tool run as the tool turn the next call sees; None when it recorded no result."""
    if run.result is not None:
        content = run.result if isinstance(run.result, str) and run.result.strip() else json_text(run.result)
    elif run.error:
        content = f"error: {run.error}"
    else:
        return None
    turn: dict[str, Any] = {"role": "tool", "content": content}
    call_id = run.call_id or _unanswered_call(run, so_far, pending)
    if call_id:
        turn["tool_call_id"] = call_id
    if run.name:
        turn["name"] = run.name
    if run.error:
        turn["status"] = "error"
    return turn


def _unanswered_call(run: ToolRun, so_far: list[dict[str, Any]], pending: list[dict[str, Any]]) -> str | None:
    """The id of the call of the last assistant turn that this run answers: of its tool, not answered
    yet, with the same arguments when one has them (two calls of a tool at once), else the first."""
    answered = {str(turn.get("tool_call_id")) for turn in [*so_far, *pending]
                if isinstance(turn, dict) and turn.get("role") == "tool"}  # fmt: skip
    for message in reversed(so_far):
        if isinstance(message, dict) and message.get("role") == "assistant" and message.get("tool_calls"):
            open_calls = []
            for call in _each(message["tool_calls"]):
                function = call.get("function") if isinstance(call, dict) else None
                if not isinstance(function, dict) or not call.get("id") or str(call["id"]) in answered:
                    continue
                if run.name is None or function.get("name") == run.name:
                    open_calls.append((str(call["id"]), parsed(function.get("arguments"))))
            same = [call_id for call_id, arguments in open_calls if arguments == parsed(run.arguments)]
            return (same or [call_id for call_id, _ in open_calls] or [None])[0]
    return None


_NAMING = ("traceId", "trace_id", "spanId", "span_id", "context", "id", "type", "run_type", "span_kind", "name")


def excerpt(value: Any) -> str:
    """What names a span in a reject (its ids, type and name): the span itself can be large."""
    if isinstance(value, dict):
        value = {key: value[key] for key in _NAMING if key in value} or {"keys": list(value)[:10]}
    return json.dumps(value, ensure_ascii=False, default=str)[:200]


def _each(value: Any) -> list[Any]:
    """A list read from a span, or no items when it is not one (validation names what is wrong)."""
    return value if isinstance(value, list) else []


def json_text(value: Any) -> str:
    """A value as compact JSON text (the way a tool result or arguments are shown)."""
    return json.dumps(value, ensure_ascii=False, default=str)


def when(value: Any) -> datetime | None:
    """A time as ISO 8601 text (naive: UTC) or an epoch number (seconds, ms, us or ns by size)."""
    if isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        seconds = value / (1e9 if value > 1e17 else 1e6 if value > 1e14 else 1e3 if value > 1e11 else 1)
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    return None
