"""Evaluation of tool use: each answer's tool calls against the experts' reference calls, scored the
way data-flywheel systems score tool-calling agents on held-out tool-calling examples (function-name
accuracy and argument exact match, as NVIDIA's Data Flywheel Blueprint reports them; per-argument
recall as NeMo's tool-call evaluator does).

Answers and references are texts; their calls are read with `annotate.text.tool_calls.split_response`,
the Hermes / Qwen `<tool_call>` blocks that tool-calling chat templates produce (a call written in
another form is not recognised: that answer makes no call). Per variant, over the production examples,
each a `train.metrics.Metric` with its Wilson interval, and all absent when no reference is a tool call:

- `tool_call_rate`: the share of tool-call references answered with a call (a `<tool_call>` block,
  well-formed or not); `detail` holds both sides' confusion counts and the malformed answers;
- `unexpected_tool_call_rate`: the share of text references answered with a call;
- `function_name_accuracy`: the share of tool-call references whose answer calls the same functions
  in the same order;
- `argument_exact_match`: ...and with each call's arguments equal as JSON values (key order and
  whitespace do not matter; 1 equals 1.0, `true` does not equal 1);
- `argument_match`: the share of the reference calls' arguments (top-level keys) whose value the
  answer's call at the same position, to the same function, matches; micro-averaged over arguments
  (`n` counts arguments). Its Wilson interval treats the arguments as independent, which those of
  one call are not; the gate compares it by resampling whole examples (`per_example`: matched
  arguments, `weights`: the reference's arguments).

Every metric keeps `per_example` over the whole production set (None where it does not apply), so
the gate pairs a candidate's examples with a reference's and slices index the same examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from annotate.text.tool_calls import Call, SplitResponse, has_calls, split_response
from train.metrics import Metric, _rate

TOOL_METRICS = ("tool_call_rate", "unexpected_tool_call_rate", "function_name_accuracy", "argument_exact_match", "argument_match")


@dataclass(frozen=True)
class ToolScore:
    """One answer against its reference."""

    expected_call: bool  # the reference calls a tool
    called: bool  # the answer has a <tool_call> block (well-formed or not)
    names: bool | None  # the same functions in the same order (None: the reference calls none)
    exact: bool | None  # ...and every call's arguments equal as JSON values
    arguments_matched: int  # of the reference's arguments, those the answer's calls match
    arguments: int  # the reference calls' arguments (top-level keys)
    problems: tuple[str, ...] = ()  # the answer's blocks that are not calls, in words


def json_equal(a: Any, b: Any) -> bool:
    """Equal as JSON values: objects by keys (any order), arrays in order, numbers by value, and a
    boolean never equal to a number (Python's True == 1 is not JSON's)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def score(output: str, reference: str) -> ToolScore:
    """How `output`'s calls compare with `reference`'s."""
    return _score(split_response(output), has_calls(output), split_response(reference).calls)


def _score(answer: SplitResponse, called: bool, expected: tuple[Call, ...]) -> ToolScore:
    calls = answer.calls
    arguments = sum(len(call.arguments) for call in expected if _parsed(call))
    if not expected:
        return ToolScore(False, called, None, None, 0, 0, answer.problems)
    names = [call.name for call in calls] == [call.name for call in expected]
    exact = names and all(_parsed(mine) and _parsed(theirs) and json_equal(mine.arguments, theirs.arguments)
                          for mine, theirs in zip(calls, expected))  # fmt: skip
    matched = sum(_matched_arguments(mine, theirs) for mine, theirs in zip(calls, expected))
    return ToolScore(True, called, names, exact, matched, arguments, answer.problems)


def _parsed(call: Call) -> bool:
    return call.arguments_error is None and isinstance(call.arguments, dict)


def _matched_arguments(mine: Call, theirs: Call) -> int:
    """The reference call's arguments whose value the answer's call (to the same function) matches."""
    if mine.name != theirs.name or not _parsed(mine) or not _parsed(theirs):
        return 0
    return sum(key in mine.arguments and json_equal(mine.arguments[key], value) for key, value in theirs.arguments.items())


def tool_metrics(outputs: Sequence[str], references: Sequence[str]) -> dict[str, Metric]:
    """Each answer's calls against its reference's (see the module docstring); {} when no reference
    calls a tool."""
    scores = [score(output, reference) for output, reference in zip(outputs, references)]
    if not any(s.expected_call for s in scores):
        return {}

    def where(expected: bool, figure) -> list:
        return [figure(s) if s.expected_call == expected else None for s in scores]

    called = where(True, lambda s: int(s.called))
    in_text = where(False, lambda s: int(s.called))
    expected_calls, expected_text = [s for s in scores if s.expected_call], [s for s in scores if not s.expected_call]
    confusion = {
        "reference_calls": {"called": sum(s.called for s in expected_calls), "answered_in_text": sum(not s.called for s in expected_calls)},
        "reference_text": {"called": sum(s.called for s in expected_text), "answered_in_text": sum(not s.called for s in expected_text)},
        "malformed_answers": sum(bool(s.problems) for s in scores),
    }  # fmt: skip
    names, exact = where(True, lambda s: int(s.names)), where(True, lambda s: int(s.exact))
    weights = [s.arguments if s.expected_call else 0 for s in scores]
    matched = [s.arguments_matched if weight else None for s, weight in zip(scores, weights)]
    argument_rate = _rate([1] * sum(m or 0 for m in matched) + [0] * (sum(weights) - sum(m or 0 for m in matched)),
                          unit="arguments", detail={"examples": sum(1 for w in weights if w)})  # fmt: skip
    return {
        "tool_call_rate": _rate(_present(called), detail={"confusion": confusion}, per_example=called),
        "unexpected_tool_call_rate": _rate(_present(in_text), detail={"confusion": confusion}, per_example=in_text),
        "function_name_accuracy": _rate(_present(names), per_example=names),
        "argument_exact_match": _rate(_present(exact), per_example=exact),
        "argument_match": Metric(argument_rate.value, argument_rate.n, "arguments", argument_rate.detail, matched, weights),
    }


def _present(values: list) -> list[int]:
    return [value for value in values if value is not None]


def call_rows(text: str) -> list[dict]:
    """A text's calls as outputs.jsonl shows them: name and arguments (the raw text, with the
    reason, when they are not a JSON object)."""
    return [{"name": call.name, "arguments": call.arguments, **({"error": call.arguments_error} if call.arguments_error else {})}
            for call in split_response(text).calls]  # fmt: skip


def output_fields(output: str, reference: str) -> dict:
    """outputs.jsonl's tool-use fields of one production answer: the reference's calls and the
    answer's, and how they compare; {} when neither calls a tool."""
    if not has_calls(output) and not has_calls(reference):
        return {}
    s = score(output, reference)
    return {"tool_calls": {"reference": call_rows(reference), "output": call_rows(output), "called": s.called,
                           "names": s.names, "exact": s.exact, "arguments_matched": s.arguments_matched,
                           "arguments": s.arguments, "problems": list(s.problems)}}  # fmt: skip
