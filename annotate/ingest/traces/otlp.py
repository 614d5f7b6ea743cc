"""OTLP JSON export requests as plain spans, for the OpenTelemetry and OpenInference readers.

Follows the OTLP 1.x "JSON Protobuf Encoding" (opentelemetry-proto `docs/specification.md`), as
the Collector's file exporter and OTLP/HTTP JSON write it: `resourceSpans[].scopeSpans[].spans[]`
with `traceId`, `spanId`, `parentSpanId` as hex, `startTimeUnixNano` as a decimal string,
`attributes: [{"key", "value": {"stringValue" | "intValue" | "doubleValue" | "boolValue" |
"arrayValue" | "kvlistValue" | "bytesValue"}}]`, `events`, `status`. Also read: protobuf's own
field names (`resource_spans`, `string_value`..., as Phoenix's OTLP endpoint writes them), base64
ids (what protobuf's generic JSON mapping writes), a bare span a line, a list of requests, and
`resourceLogs[].scopeLogs[].logRecords[]` in the same file: a log record that names a span (its
`traceId`/`spanId`) is an event of that span, with its `body` (how GenAI events are emitted as logs).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from annotate.ingest.traces.assemble import Document, Step, at, excerpt
from annotate.text.clean import LineProblem

_HEX = re.compile(r"[0-9a-fA-F]+")
_STATUS_ERROR = (2, "2", "STATUS_CODE_ERROR", "ERROR")


@dataclass
class RawSpan:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    start: datetime | None
    end: datetime | None
    attributes: dict[str, Any]
    events: list[dict[str, Any]]
    status: dict[str, Any]
    line: int
    where: str
    excerpt: str
    order: int
    resource: dict[str, Any] = field(default_factory=dict)
    scope: dict[str, Any] = field(default_factory=dict)
    other: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status.get("code") in _STATUS_ERROR

    def step(self) -> Step:
        """The step this span starts as (the format module fills in what it is)."""
        return Step(self.trace_id, self.span_id, self.line, self.where, self.excerpt, self.order,
                    parent_id=self.parent_id, start=self.start, end=self.end)  # fmt: skip

    def base_metadata(self, attributes: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
        """The span's fields no record field takes: its name, attributes left, events left, status..."""
        found = {"span_name": self.name, "attributes": attributes, "events": events, "status": self.status,
                 "resource": self.resource, "scope": self.scope, **self.other}  # fmt: skip
        return {key: value for key, value in found.items() if value not in (None, "", {}, [])}


def get(value: Any, *names: str) -> Any:
    """The first of `names` present in `value` (camelCase and snake_case spellings)."""
    if isinstance(value, dict):
        for name in names:
            if name in value:
                return value[name]
    return None


def any_value(value: Any) -> Any:
    """An OTLP AnyValue as the plain JSON value it holds; raises ValueError when it is malformed."""
    if not isinstance(value, dict):
        return value
    for key in ("stringValue", "string_value", "boolValue", "bool_value", "doubleValue", "double_value", "bytesValue", "bytes_value"):
        if key in value:
            return value[key]
    for key in ("intValue", "int_value"):
        if key in value:
            try:
                return int(value[key])
            except (TypeError, ValueError):
                return value[key]
    array = get(value, "arrayValue", "array_value")
    if array is not None:
        items = get(array, "values") or []
        if not isinstance(items, list):
            raise ValueError("arrayValue.values must be a list")
        return [any_value(item) for item in items]
    kvlist = get(value, "kvlistValue", "kvlist_value")
    if kvlist is not None:
        return attributes(get(kvlist, "values"))
    return None


def attributes(pairs: Any) -> dict[str, Any]:
    """`[{"key", "value"}]` as a dict; raises ValueError when it is not such a list."""
    if pairs is None:
        return {}
    if isinstance(pairs, dict):  # already a map (some exporters)
        return dict(pairs)
    if not isinstance(pairs, list) or not all(isinstance(pair, dict) and isinstance(pair.get("key"), str) for pair in pairs):
        raise ValueError('expected a list of {"key": ..., "value": {...}}')
    return {pair["key"]: any_value(pair.get("value")) for pair in pairs}


def hex_id(value: Any, size: int) -> str | None:
    """A trace (16 bytes) or span (8 bytes) id as lower-case hex; base64 ids are converted."""
    if not isinstance(value, str) or not value.strip():
        return None
    if _HEX.fullmatch(value):
        return value.lower()
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value
    return raw.hex() if len(raw) == size else value


def unix_nano(value: Any) -> datetime | None:
    try:
        nanos = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if nanos <= 0:
        return None
    try:
        return datetime.fromtimestamp(nanos / 1e9, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def read_requests(documents: Iterable[Document], accepts: Callable[[Any], bool] = lambda value: False,
                  ) -> tuple[list[RawSpan], list[Step], list[Any]]:  # fmt: skip
    """The spans of every export request, the steps for what cannot be read, and the values
    `accepts` claims (another shape the caller reads itself) as (document, path, value)."""
    spans: list[RawSpan] = []
    problems: list[Step] = []
    others: list[Any] = []
    logs: list[dict[str, Any]] = []
    for document in documents:
        cursor = [0]
        for found in _walk(document, document.value, "", cursor, accepts):
            if isinstance(found, (RawSpan, Step)):
                found.order = len(spans) + len(problems) + len(others)
            if isinstance(found, RawSpan):
                spans.append(found)
            elif isinstance(found, Step):
                problems.append(found)
            elif isinstance(found, tuple):
                others.append((document, *found))
            else:
                logs.append(found)
    by_id = {(span.trace_id, span.span_id): span for span in spans}
    for log in logs:
        span = by_id.get((log["trace_id"], log["span_id"]))
        if span is None:
            reason = f"an event record of span {log['span_id']}, which is not in this file"
            problems.append(_problem(log["line"], log["where"], None, reason))
            problems[-1].order = len(spans) + len(problems) + len(others)
        else:
            span.events.append(log["event"])
    return spans, problems, others


def _walk(document: Document, value: Any, where: str, cursor: list[int], accepts: Callable[[Any], bool]) -> Iterator[Any]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(document, item, f"{where}[{index}]", cursor, accepts)
        return
    if accepts(value):
        yield (where, value)
        return
    if not isinstance(value, dict):
        yield _problem(document.line, where, None, f"expected an OTLP export request (an object), not {type(value).__name__}")
        return
    requests = get(value, "resourceSpans", "resource_spans")
    logs = get(value, "resourceLogs", "resource_logs")
    if requests is None and logs is None:
        if get(value, "traceId", "trace_id") is not None and get(value, "spanId", "span_id") is not None:
            yield _span(document, value, where, {}, {}, cursor)
        else:
            yield _problem(document.line, where, None, "not an OTLP export request: no resourceSpans")
        return
    for r, resource_spans in enumerate(_list(requests)):
        resource = _resource(resource_spans)
        scopes = get(resource_spans, "scopeSpans", "scope_spans", "instrumentationLibrarySpans")
        for s, scope_spans in enumerate(_list(scopes)):
            scope = get(scope_spans, "scope", "instrumentationLibrary") or {}
            scope_info = {key: scope[key] for key in ("name", "version") if isinstance(scope, dict) and scope.get(key)}
            for i, span in enumerate(_list(get(scope_spans, "spans"))):
                path = _join(where, f"resourceSpans[{r}].scopeSpans[{s}].spans[{i}]")
                yield _span(document, span, path, resource, scope_info, cursor)
    for r, resource_logs in enumerate(_list(logs)):
        for s, scope_logs in enumerate(_list(get(resource_logs, "scopeLogs", "scope_logs"))):
            for i, record in enumerate(_list(get(scope_logs, "logRecords", "log_records"))):
                yield from _log_event(document, record, _join(where, f"resourceLogs[{r}].scopeLogs[{s}].logRecords[{i}]"))


def _span(document: Document, span: Any, where: str, resource: dict, scope: dict, cursor: list[int]) -> RawSpan | Step:
    if not isinstance(span, dict):
        return _problem(document.line, where, None, "a span must be an object")
    raw_id = get(span, "spanId", "span_id")
    line, cursor[0] = document.line_of(raw_id, cursor[0])
    trace_id, span_id = hex_id(get(span, "traceId", "trace_id"), 16), hex_id(raw_id, 8)
    if trace_id is None:
        return _problem(line, where, "traceId", "missing: every span needs its trace id", span)
    if span_id is None:
        return _problem(line, where, "spanId", "missing: every span needs its span id", span)
    try:
        attrs = attributes(get(span, "attributes"))
    except ValueError as exc:
        return _problem(line, where, "attributes", str(exc), span)
    events = []
    for index, event in enumerate(_list(get(span, "events"))):
        try:
            events.append({"name": get(event, "name"), "time": get(event, "timeUnixNano", "time_unix_nano"),
                           "attributes": attributes(get(event, "attributes"))})  # fmt: skip
        except ValueError as exc:
            return _problem(line, where, f"events[{index}].attributes", str(exc), span)
    problem = document.unclean({"attributes": attrs, "events": events})
    if problem is not None:
        return _problem(line, where, problem.field, problem.reason, span)
    status = get(span, "status") if isinstance(get(span, "status"), dict) else {}
    used = {"traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id", "name", "attributes", "events",
            "status", "startTimeUnixNano", "start_time_unix_nano", "endTimeUnixNano", "end_time_unix_nano"}  # fmt: skip
    other = {key: value for key, value in span.items() if key not in used and value not in (None, "", 0, [], {})}
    return RawSpan(trace_id, span_id, hex_id(get(span, "parentSpanId", "parent_span_id"), 8), str(get(span, "name") or ""),
                   unix_nano(get(span, "startTimeUnixNano", "start_time_unix_nano")),
                   unix_nano(get(span, "endTimeUnixNano", "end_time_unix_nano")),
                   attrs, events, dict(status), line, where, excerpt(span), 0, resource, scope, other)  # fmt: skip


def _log_event(document: Document, record: Any, where: str) -> Iterator[Any]:
    if not isinstance(record, dict):
        yield _problem(document.line, where, None, "a log record must be an object")
        return
    trace_id, span_id = hex_id(get(record, "traceId", "trace_id"), 16), hex_id(get(record, "spanId", "span_id"), 8)
    if not trace_id or not span_id:
        return  # a log of no span: not part of a trace
    try:
        attrs = attributes(get(record, "attributes"))
    except ValueError as exc:
        yield _problem(document.line, where, "attributes", str(exc), record)
        return
    try:
        body = any_value(get(record, "body"))
    except ValueError as exc:
        yield _problem(document.line, where, "body", str(exc), record)
        return
    name = get(record, "eventName", "event_name") or attrs.pop("event.name", None)
    event = {"name": name, "time": get(record, "timeUnixNano", "time_unix_nano"), "attributes": attrs, "body": body}
    yield {"trace_id": trace_id, "span_id": span_id, "line": document.line, "where": where, "event": event}


def _resource(resource_spans: Any) -> dict[str, Any]:
    try:
        return attributes(get(get(resource_spans, "resource"), "attributes"))
    except ValueError:
        return {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _join(where: str, path: str) -> str:
    return f"{where}.{path}" if where else path


def _problem(line: int, where: str, relative: str | None, reason: str, value: Any = None) -> Step:
    step = Step("", "", line, where, excerpt(value) if value is not None else "")
    step.problem = LineProblem(at(where, relative), reason)
    return step
