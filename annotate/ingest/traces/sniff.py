"""Which trace format a JSON file holds, told from its first object (`--format auto`).

- an OTLP export request (`resourceSpans`/`resourceLogs`, or a bare span with `traceId` and
  `spanId`): `openinference` when its spans carry OpenInference attributes
  (`openinference.span.kind`, `llm.input_messages...`), else `otel`;
- a Phoenix span (`context.span_id`, `span_kind`): `openinference`;
- a LangSmith run (`run_type` with `trace_id`, `dotted_order`, `parent_run_id` or `inputs`): `langsmith`;
- a Langfuse observation (`traceId` and a `type` such as GENERATION, with `startTime`), a page of
  them (`data`), or a trace with its `observations`: `langfuse`;
- anything else (a record, an OpenAI log line): None, so it stays `jsonl`.
"""

from __future__ import annotations

import re
from typing import Any

LANGFUSE_TYPES = frozenset({"GENERATION", "SPAN", "EVENT", "AGENT", "TOOL", "CHAIN", "RETRIEVER", "EVALUATOR", "EMBEDDING", "GUARDRAIL"})
_OPENINFERENCE_KEYS = ("openinference.span.kind", "llm.input_messages", "llm.output_messages")


def sniff_object(value: Any) -> str | None:
    """The trace format of a file whose first JSON value this is, or None."""
    if isinstance(value, list):
        return sniff_object(value[0]) if value else None
    if not isinstance(value, dict):
        return None
    if any(key in value for key in ("resourceSpans", "resource_spans", "resourceLogs", "resource_logs")):
        return "openinference" if _mentions_openinference(value) else "otel"
    if isinstance(value.get("data"), list) and value["data"] and "type" not in value:
        return sniff_object(value["data"][0])
    if isinstance(value.get("observations"), list) and "type" not in value:
        return "langfuse" if not value["observations"] or sniff_object(value["observations"][0]) == "langfuse" else None
    if isinstance(value.get("context"), dict) and "span_id" in value["context"] or "context.span_id" in value:
        return "openinference"
    if "run_type" in value and any(key in value for key in ("trace_id", "dotted_order", "parent_run_id", "inputs")):
        return "langsmith"
    has_trace = "traceId" in value or "trace_id" in value
    if has_trace and str(value.get("type", "")).upper() in LANGFUSE_TYPES and ("startTime" in value or "start_time" in value):
        return "langfuse"
    if has_trace and ("spanId" in value or "span_id" in value):
        return "openinference" if _mentions_openinference(value) else "otel"
    return None


def sniff_text(head: str) -> str | None:
    """The format of a file whose start is not one whole JSON value (a big pretty-printed export)."""
    if re.search(r'"resource_?[sS]pans"', head):
        return "openinference" if "openinference.span.kind" in head else "otel"
    if '"run_type"' in head and '"dotted_order"' in head:
        return "langsmith"
    if re.search(r'"trace_?[iI]d"', head) and re.search(r'"type"\s*:\s*"(GENERATION|SPAN|EVENT|TOOL|AGENT|CHAIN)"', head):
        return "langfuse"
    if '"span_kind"' in head and '"context"' in head:
        return "openinference"
    return None


def _mentions_openinference(value: Any) -> bool:
    """Whether any attribute key in this value is OpenInference's."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            key = item.get("key")
            if isinstance(key, str) and key.startswith(_OPENINFERENCE_KEYS):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
