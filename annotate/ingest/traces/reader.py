"""One trace export file as ingest rows: a record per model call, a reject per span that gives none.

A file is one JSON document (pretty-printed or not: an export request, a list, a page) or one
document a line (JSONL, as the Collector's file exporter and the tools' exports write). Memory:
unlike the line readers, a trace reader holds one file's spans (parsed) while it groups them by
trace, since a trace's spans may be anywhere in the file; the records then go through ingest's
batches as usual. Measured: peak memory grows by about 5 times the file's size (a 47 MB OTLP file,
12,000 records: +223 MB). Split a very large export into several files to bound it.

A row's `line` is the line of its span (of its export request when the document is one line; the
line where the span's id is written when it spans several), `origin` the span's path in the file
(`resourceSpans[0].scopeSpans[0].spans[3]`); a record that fails validation is rejected naming
that span, with the record field at fault in the reason.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from annotate.config import IngestLimits
from annotate.errors import IngestError
from annotate.ingest.normalise import record_from_data
from annotate.ingest.readers import Row, _ByteStream
from annotate.ingest.traces import langfuse, langsmith, openinference, otel
from annotate.ingest.traces.assemble import Document, Step, assemble, at
from annotate.records import RecordIn
from annotate.text.clean import LineProblem, decode_line, looks_unclean

READERS: dict[str, Callable[[Iterable[Document]], list[Step]]] = {
    "otel": otel.steps, "openinference": openinference.steps, "langfuse": langfuse.steps, "langsmith": langsmith.steps,
}  # fmt: skip
SPAN_FIELDS = {"otel": otel.FIELDS, "openinference": openinference.FIELDS,
               "langfuse": langfuse.FIELDS, "langsmith": langsmith.FIELDS}  # fmt: skip
MODEL_CALLS = {
    "otel": "a span with gen_ai.operation.name chat, text_completion or generate_content (or gen_ai messages)",
    "openinference": "a span with openinference.span.kind LLM", "langfuse": "an observation of type GENERATION",
    "langsmith": "a run with run_type llm",
}  # fmt: skip


class TraceReader(_ByteStream):
    """Rows of one trace export in `fmt` (one of `annotate.ingest.traces.TRACE_FORMATS`)."""

    def __init__(self, path: Path, fmt: str):
        super().__init__(path)
        self.fmt = fmt
        self._done = 0

    @property
    def done(self) -> int:
        return self._done

    def __iter__(self) -> Iterator[Row]:
        rows: list[Row] = []

        def documents() -> Iterator[Document]:
            for item in _documents(iter(self.stream), self.stream):
                if isinstance(item, Row):
                    rows.append(item)
                else:
                    yield item

        try:
            steps = READERS[self.fmt](documents())
        except (OSError, EOFError, zlib.error) as exc:
            raise IngestError(f"{self.path}: unreadable ({exc or type(exc).__name__}); nothing of it was read") from exc
        finally:
            self._done = self.total
            self.close()
        outcomes = assemble(steps)
        if steps and not outcomes:
            raise IngestError(f"{self.path}: {len(steps):,} spans read and none is a model call ({MODEL_CALLS[self.fmt]}); "
                              "is it another format? --format auto tells them apart")  # fmt: skip
        found = [(row.line, -1, row) for row in rows]
        for outcome in outcomes:
            row = Row(outcome.line, outcome.record, outcome.excerpt, outcome.problem, outcome.where)
            found.append((outcome.line, outcome.order, row))
        for _, _, row in sorted(found, key=lambda item: item[:2]):
            yield row


def validate_row(row: Row, fmt: str, limits: IngestLimits) -> RecordIn | LineProblem:
    """A row's record validated like any other line; a failure names the span's field it came from
    (its input for `messages`, its output for the response), the record's field in the reason."""
    if row.problem is not None or row.data is None:
        return row.problem or LineProblem(None, "no record")
    outcome = record_from_data(row.data, "", limits)
    if isinstance(outcome, LineProblem):
        top = (outcome.field or "").split(".")[0].split("[")[0]
        top = "response" if top in ("tool_calls", "refusal", "reasoning") else top
        what = f"{outcome.field}: {outcome.reason}" if outcome.field else outcome.reason
        return LineProblem(at(row.origin or "", SPAN_FIELDS[fmt].get(top)), f"the record of this model call: {what}")
    return outcome


def _documents(lines: Iterator[bytes], stream: BinaryIO) -> Iterator[Document | Row]:
    """The file's JSON documents one at a time, and a reject row for each line that is not one."""
    number, first = 0, b""
    for number, first in enumerate(lines, start=1):
        if first.strip():
            break
    else:
        return
    head = decode_line(first, first=number == 1)
    if isinstance(head, str) and not _whole_line(head):
        data = first + stream.read()  # one document over several lines: the whole of it is needed
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
            yield Document(number, json.loads(text), text, looks_unclean(text))
            return
        except json.JSONDecodeError as exc:
            if not exc.msg.startswith("Extra data") and not _parses(data.split(b"\n")[1:]):
                reason = f"malformed JSON: {exc.msg} at line {number + exc.lineno - 1} column {exc.colno}"
                yield Row(number + exc.lineno - 1, None, head[:200], LineProblem(None, reason))
                return
        except UnicodeDecodeError:
            pass  # each line is then read (and the bad one named) on its own
        except (ValueError, RecursionError) as exc:
            yield Row(number, None, head[:200], _unparsable(exc))
            return
        lines = iter(data.split(b"\n")[1:])
        yield _document(number, first)
    else:
        yield _document(number, first)
    for number, raw in enumerate(lines, start=number + 1):
        if raw.strip():
            yield _document(number, raw)


def _document(number: int, raw: bytes) -> Document | Row:
    text = decode_line(raw, first=number == 1)
    if isinstance(text, LineProblem):
        return Row(number, None, raw[:120].decode("utf-8", "replace"), text)
    try:
        return Document(number, json.loads(text), suspect=looks_unclean(text))
    except (ValueError, RecursionError) as exc:
        return Row(number, None, text[:200], _unparsable(exc))


def _unparsable(exc: Exception) -> LineProblem:
    if isinstance(exc, json.JSONDecodeError):
        return LineProblem(None, f"malformed JSON: {exc.msg} at column {exc.colno}")
    if isinstance(exc, RecursionError):
        return LineProblem(None, "nested too deeply to parse")
    return LineProblem(None, f"not valid JSON: {exc}")  # a number too long for Python to read


def _whole_line(text: str) -> bool:
    """Whether a first line looks like a whole JSON value (a JSONL file) rather than the start of one."""
    stripped = text.strip()
    if stripped[-1:] not in ("}", "]"):
        return False
    try:
        json.loads(stripped)
    except (ValueError, RecursionError):
        return stripped[:1] == "{" and stripped.count("{") == stripped.count("}")
    return True


def _parses(lines: list[bytes]) -> bool:
    """Whether the next non-blank line is a JSON value of its own (a JSONL file whose first line is bad)."""
    for raw in lines:
        if raw.strip():
            try:
                json.loads(raw)
            except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
                return False
            return True
    return False
