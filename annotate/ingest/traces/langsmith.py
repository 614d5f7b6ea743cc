"""LangSmith runs (JSONL) as steps of a trace.

Follows LangSmith's run data format (docs.langchain.com/langsmith/run-data-format, and the
`Run` schema of the langsmith SDK): one run a line (or a list, or a run with its `child_runs`
nested, as a RunTree dumps it): `id`, `trace_id` (else the root's id, read from `dotted_order`),
`parent_run_id`, `dotted_order`, `run_type`, `name`, `start_time`, `end_time` (ISO 8601, naive as
UTC, or epoch milliseconds as the JS SDK writes them), `inputs`, `outputs`, `extra`, `error`...

- **llm** runs (model calls): `inputs.messages` (LangChain's serialised messages, a batch
  `[[...]]` or a list, or OpenAI dicts as `wrap_openai` logs them), else `inputs.prompts[0]`;
  `outputs.generations[0][0].message` (or `.text`), or a chat completion (`choices`), or a
  message under `output`; tools from `inputs.tools` or `extra.invocation_params.tools`; model
  from `extra.invocation_params` (`model`, `model_name`), `extra.metadata.ls_model_name`,
  `outputs.llm_output.model_name` or the completion's `model`.
- **tool** runs: `name` is the tool; arguments `inputs.input` (or `inputs`); result
  `outputs.output` (a LangChain ToolMessage gives its content and `tool_call_id`); `error` when it
  failed.
- **chain** and other runs: `inputs.messages` or a text `inputs.input` open a conversation.

Everything else of a run (`extra` with `invocation_params` and `metadata`, `tags`, `dotted_order`,
token counts, `feedback_stats`, `events`, what `inputs` and `outputs` hold besides the messages,
the output message's `usage_metadata` and `response_metadata`) goes to the record's metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from annotate.ingest.traces.assemble import (Document, ModelCall, Step, ToolRun, Unreadable, at, identified, new_step,
                                             unreadable_step, when)
from annotate.ingest.traces.messages import assistant_output, chat_message, chat_messages, opening, parsed

_ROOT = re.compile(r"^\d{8}T\d+Z([0-9a-fA-F-]{36})")
FIELDS = {"messages": "inputs.messages", "response": "outputs", "tools": "inputs.tools"}  # of a record, in a run
_USED = {"id", "trace_id", "parent_run_id", "start_time", "end_time", "inputs", "outputs", "run_type", "child_runs"}


def steps(documents: Iterable[Document]) -> list[Step]:
    found: list[Step] = []
    for document in documents:
        for where, run in _runs(document.value, ""):
            found.append(_step(document, run, where, len(found)))
    return found


def _runs(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    """(path, run) for every run a document holds; a nested child run gets its parent's ids."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _runs(item, f"{where}[{index}]")
        return
    yield where, value
    if isinstance(value, dict) and isinstance(value.get("child_runs"), list):
        trace_id = value.get("trace_id") or (value.get("id") if not value.get("parent_run_id") else None)
        for index, child in enumerate(value["child_runs"]):
            if isinstance(child, dict):
                child = {**child, "parent_run_id": child.get("parent_run_id") or value.get("id"),
                         "trace_id": child.get("trace_id") or trace_id}  # fmt: skip
            yield from _runs(child, at(where, f"child_runs[{index}]") or "")


def _step(document: Document, run: Any, where: str, order: int) -> Step:
    step = new_step(document, run, where, order, "a LangSmith run")
    if step.problem is not None:
        return step
    root = _ROOT.match(str(run.get("dotted_order") or ""))
    trace_id = run.get("trace_id") or (root.group(1) if root else None) or (run.get("id") if not run.get("parent_run_id") else None)
    own = {key: value for key, value in run.items() if key != "child_runs"}
    if not identified(step, document, own, {"id": run.get("id"), "trace_id": trace_id}, "run"):
        return step
    step.trace_id, step.span_id, step.parent_id = trace_id, run["id"], run.get("parent_run_id") or None
    step.start, step.end = when(run.get("start_time")), when(run.get("end_time"))
    inputs = run.get("inputs") if isinstance(run.get("inputs"), dict) else {}
    outputs = run.get("outputs")
    metadata = {key: value for key, value in own.items() if key not in _USED and value not in (None, "", [], {})}
    kind = str(run.get("run_type") or "").lower()
    try:
        if kind == "llm":
            step.call = _model_call(inputs, outputs, run.get("extra") if isinstance(run.get("extra"), dict) else {}, metadata)
        elif kind == "tool":
            step.tool = _tool_run(run, inputs, outputs)
        elif "messages" in inputs or isinstance(inputs.get("input"), str):
            step.context = opening(inputs if "messages" in inputs else inputs["input"])
    except Unreadable as exc:
        return unreadable_step(step, exc)
    step.metadata = {"run_type": kind or None, **metadata}
    return step


def _model_call(inputs: dict[str, Any], outputs: Any, extra: dict[str, Any], metadata: dict[str, Any]) -> ModelCall:
    params = extra.get("invocation_params") if isinstance(extra.get("invocation_params"), dict) else {}
    if "messages" in inputs:
        messages = chat_messages(inputs["messages"])
        if messages is None:
            raise Unreadable("inputs.messages", "expected a list of messages")
    elif isinstance(inputs.get("prompts"), list) and inputs["prompts"]:
        messages = [{"role": "user", "content": inputs["prompts"][0]}]
    else:
        prompt = inputs.get("prompt", inputs.get("input"))
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else None
    rest_in = {key: value for key, value in inputs.items() if key not in ("messages", "prompts", "prompt", "input", "tools")}
    if rest_in:
        metadata["input_settings"] = rest_in
    answer, rest = assistant_output(outputs) if outputs is not None else (None, {})
    if outputs not in (None, {}) and answer is None:
        raise Unreadable("outputs", "expected generations, a chat completion or an assistant message")
    if rest:
        metadata["output_details"] = rest
    tools = inputs.get("tools") or params.get("tools") or params.get("functions")
    if tools is not None and not (isinstance(tools, list) and all(isinstance(tool, dict) for tool in tools)):
        raise Unreadable(FIELDS["tools"], "expected a list of tool definitions")
    llm_output = rest.get("llm_output") if isinstance(rest.get("llm_output"), dict) else {}
    ls = extra.get("metadata") if isinstance(extra.get("metadata"), dict) else {}
    model = (params.get("model") or params.get("model_name") or ls.get("ls_model_name")
             or llm_output.get("model_name") or rest.get("model"))  # fmt: skip
    return ModelCall(messages, answer, tools, str(model) if model else None, FIELDS["messages"], FIELDS["response"])


def _tool_run(run: dict[str, Any], inputs: dict[str, Any], outputs: Any) -> ToolRun:
    arguments = parsed(inputs["input"]) if "input" in inputs else (inputs or None)
    result: Any = outputs.get("output", outputs) if isinstance(outputs, dict) else outputs
    call_id = inputs.get("tool_call_id")
    message = chat_message(result) if isinstance(result, dict) and ("lc" in result or "type" in result) else None
    if isinstance(message, dict) and message.get("role") == "tool":
        call_id = call_id or message.get("tool_call_id")
        result = message.get("content")
    return ToolRun(str(run.get("name") or "") or None, call_id, arguments, result, run.get("error") or None)
