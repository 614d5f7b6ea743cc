"""Streaming readers for ingest: JSONL, CSV and Parquet files, optionally gzipped (trace exports:
`annotate.ingest.traces`).

Each reader yields a `Row` one input line (or table row) at a time, so memory stays flat
however large the file: table rows come parsed (`data`), JSONL lines as decoded `text` (the
normaliser parses them), a blank line as a Row with neither, and a line that cannot even be
decoded with a `LineProblem`. A file that cannot be read at all, or stops being readable part
way (a truncated `.gz`, a corrupt Parquet page), raises `IngestError` naming the last good line;
the rows yielded before it stay good. What a clean line is: `annotate.text.clean`.
`done`/`total` report progress in bytes (rows for Parquet).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from annotate.errors import IngestError
from annotate.ingest.traces import TRACE_FORMATS
from annotate.ingest.traces.sniff import sniff_object, sniff_text
from annotate.text.clean import LineProblem, decode_line, has_lone_surrogate, is_blank, load_json

__all__ = ["FORMATS", "LineProblem", "Row", "detect_format", "open_reader", "parse_json_object"]

FORMATS = ("jsonl", "csv", "parquet", *TRACE_FORMATS)
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}
SNIFF_CHARS = 64 * 1024 * 1024  # read at most this much of a file whose first line is not a whole JSON value


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    data: dict[str, Any] | None
    text: str = ""
    problem: LineProblem | None = None
    origin: str | None = None  # where in the line the row's data came from (a span's path in a trace export)


def detect_format(path: Path, requested: str = "auto") -> str:
    """The format named, or the one the file name says (`.gz` looked through); a JSON file whose
    first object is a trace export is that trace format (`annotate.ingest.traces.sniff`)."""
    if requested != "auto":
        if requested not in FORMATS:
            raise IngestError(f"{path}: unknown format {requested!r}; use one of auto, {', '.join(FORMATS)}")
        return requested
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    if suffixes and suffixes[-1] in _SUFFIXES:
        found = _SUFFIXES[suffixes[-1]]
        return (_sniffed(path) or found) if found == "jsonl" else found
    raise IngestError(f"{path}: cannot tell the format from the name; pass --format jsonl, csv or parquet")


def _sniffed(path: Path) -> str | None:
    """The trace format the file's first JSON value is in, or None (an unreadable file: None too,
    the reader then says what is wrong)."""
    try:
        with _ByteStream(path) as peek:
            for number, raw in enumerate(peek.stream, start=1):
                head = decode_line(raw, first=number == 1)
                if isinstance(head, LineProblem):
                    return None
                if not is_blank(head):
                    break
            else:
                return None
            try:
                return sniff_object(json.loads(head))
            except (ValueError, RecursionError):  # not one whole JSON value (or a number past Python's digits)
                text = head + "\n" + peek.stream.read(SNIFF_CHARS).decode("utf-8", "replace")
            try:
                return sniff_object(json.loads(text))
            except (ValueError, RecursionError):
                return sniff_text(text[: 1024 * 1024])
    except (IngestError, OSError, EOFError, zlib.error):
        return None


def open_reader(path: Path, fmt: str) -> "JsonlReader | CsvReader | ParquetReader":
    readers = {"jsonl": JsonlReader, "csv": CsvReader, "parquet": ParquetReader}
    return readers[fmt](path)


class _ByteStream:
    """An input file opened for bytes, gunzipped when it is gzip, with progress in raw bytes."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.raw: BinaryIO = open(path, "rb")
        except OSError as exc:
            raise IngestError(f"{path}: cannot open: {exc.strerror}") from exc
        self.total = path.stat().st_size
        self.stream: BinaryIO = _gunzipped(self.raw, named_gzip=path.suffix.lower() == ".gz")

    @property
    def done(self) -> int:
        return self.raw.tell()

    def close(self) -> None:
        self.stream.close()
        self.raw.close()

    def __enter__(self) -> _ByteStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _gunzipped(raw: BinaryIO, *, named_gzip: bool) -> BinaryIO:
    """`raw` decompressed when it is gzip, else `raw` itself. A `.gz` name is gzip (a damaged one
    is an unreadable file); otherwise the content decides: the magic number and a start that
    decompresses, so a text file that merely begins with the magic bytes stays text."""
    magic = raw.read(2) == b"\x1f\x8b"
    raw.seek(0)
    if named_gzip:
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if magic:
        unpacked = gzip.GzipFile(fileobj=raw)
        try:
            unpacked.peek(1)
            return unpacked  # type: ignore[return-value]
        except (OSError, EOFError, zlib.error):
            raw.seek(0)  # not gzip after all: read it as it is, line by line
    return raw


class JsonlReader(_ByteStream):
    """One JSON object a line. Blank lines are skipped; every other line yields a Row."""

    def __iter__(self) -> Iterator[Row]:
        for block in self.blocks():
            yield from block.rows()

    def blocks(self, size: int = 1 << 20) -> Iterator[LineBlock]:
        """The file as blocks of whole lines of about `size` bytes (what ingest's workers take).
        When the file stops being readable, the whole lines before that come first."""
        number, parts, held = 1, [], 0
        try:
            while chunk := self.stream.read1(1 << 16):  # (one gzip step a read: little is lost at a cut)
                parts.append(chunk)
                held += len(chunk)
                if held >= size:
                    block, rest = _whole_lines(number, b"".join(parts))
                    if block.data:
                        yield block
                        number += block.lines
                    parts, held = [rest], len(rest)
            if parts:
                yield LineBlock(number, b"".join(parts))  # the last line may lack its line end
        except (OSError, EOFError, zlib.error) as exc:
            block, _ = _whole_lines(number, b"".join(parts))
            if block.data:
                yield block
            last = number - 1 + block.lines
            raise IngestError(f"{self.path}: unreadable after line {last} ({exc or type(exc).__name__})") from exc
        finally:
            self.close()


@dataclass(frozen=True, slots=True)
class LineBlock:
    """Lines of a JSONL file as bytes, the first of them line `first`."""

    first: int
    data: bytes

    @property
    def lines(self) -> int:
        return self.data.count(b"\n")

    def rows(self) -> Iterator[Row]:
        lines = self.data.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()  # what follows the last line end
        for number, raw_line in enumerate(lines, start=self.first):
            yield _parse_json_line(number, raw_line)


def _whole_lines(first: int, data: bytes) -> tuple[LineBlock, bytes]:
    cut = data.rfind(b"\n") + 1
    return LineBlock(first, data[:cut]), data[cut:]


def _parse_json_line(number: int, raw_line: bytes) -> Row:
    """Decode one line; parsing the JSON is left to the normaliser (it may validate it directly)."""
    text = decode_line(raw_line, first=number == 1)
    if isinstance(text, LineProblem):
        return Row(number, None, raw_line[:120].decode("utf-8", "replace"), text)
    return Row(number, None, "" if is_blank(text) else text)


def parse_json_object(text: str, *, max_depth: int = 32, max_chars: int = 1_000_000) -> dict[str, Any] | LineProblem:
    """One line of JSONL as a dict under the clean-input rules, or what is wrong with it."""
    data = load_json(text, max_depth=max_depth, max_chars=max_chars)
    if isinstance(data, LineProblem):
        return data
    if not isinstance(data, dict):
        return LineProblem(None, f"a line must be a JSON object, not {type(data).__name__}")
    return data


class CsvReader(_ByteStream):
    """A CSV file with a header row; empty cells count as missing values."""

    def __iter__(self) -> Iterator[Row]:
        # utf-8-sig: a spreadsheet's byte-order mark is not part of the first column's name.
        text = io.TextIOWrapper(self.stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
        # A cell longer than csv's default limit (131,072) is read whole, so the field-length rule
        # rejects only its row, as it would in JSONL.
        csv.field_size_limit(max(csv.field_size_limit(), sys.maxsize))
        reader = csv.DictReader(text)
        try:
            self.columns = _unique(self.path, list(reader.fieldnames or []))
            for row in reader:
                yield _csv_row(reader.line_num, row)
        except csv.Error as exc:
            raise IngestError(f"{self.path}: not valid CSV near line {reader.line_num}: {exc}") from exc
        except (OSError, EOFError, zlib.error) as exc:
            raise IngestError(f"{self.path}: unreadable after line {reader.line_num} ({exc or type(exc).__name__})") from exc
        finally:
            self.close()

    def header(self) -> list[str]:
        """The column names, read without consuming the iterator's rows."""
        with _ByteStream(self.path) as peek:
            try:
                first = io.TextIOWrapper(peek.stream, encoding="utf-8-sig", errors="replace", newline="").readline()
            except (OSError, EOFError, zlib.error) as exc:
                raise IngestError(f"{self.path}: unreadable header ({exc or type(exc).__name__})") from exc
        return _unique(self.path, next(csv.reader([first]), []))


def _csv_row(number: int, row: dict[str | None, Any]) -> Row:
    if None in row:
        return Row(number, None, str(row)[:200], LineProblem(None, "more cells than header columns"))
    for column, value in row.items():
        if isinstance(value, str) and has_lone_surrogate(value):  # bytes the decoder kept with surrogateescape
            return Row(number, None, "", LineProblem(column, "invalid UTF-8"))
    return Row(number, {key: value for key, value in row.items() if value not in ("", None)})


def _unique(path: Path, columns: list[str]) -> list[str]:
    """The header, refused when a name appears twice: a row's cells would silently overwrite each other."""
    named = [column.strip() for column in columns if column and column.strip()]
    twice = sorted({name for name in named if named.count(name) > 1})
    if twice:
        raise IngestError(f"{path}: column(s) {', '.join(repr(name) for name in twice[:5])} appear more than once; "
                          "rename them so no cell overwrites another")  # fmt: skip
    return columns


class ParquetReader:
    """A Parquet file, streamed a record batch at a time; null cells count as missing values."""

    def __init__(self, path: Path):
        import pyarrow.parquet as pq

        self.path = path
        try:
            self.file = pq.ParquetFile(path)
        except (OSError, ValueError) as exc:
            raise IngestError(f"{path}: not a readable Parquet file: {exc}") from exc
        self.total = self.file.metadata.num_rows
        self.done = 0
        self.columns = _unique(path, self.file.schema_arrow.names)

    def header(self) -> list[str]:
        return list(self.columns)

    def __iter__(self) -> Iterator[Row]:
        number = 0
        batches = self.file.iter_batches(batch_size=2_000)
        while True:
            try:
                batch = next(batches, None)
            except (OSError, ValueError) as exc:  # pyarrow's errors: IOError, ArrowInvalid
                raise IngestError(f"{self.path}: unreadable after row {number} ({exc})") from exc
            if batch is None:
                return
            for row in batch.to_pylist():
                number += 1
                self.done = number
                yield _parquet_row(number, row)


def _parquet_row(number: int, row: dict[str, Any]) -> Row:
    """A Parquet row in JSON's shapes (see `_json_shaped`); a null or NaN cell is a missing value, as
    in a data frame. Binary data that is not UTF-8 text is refused, named by column."""
    data = {}
    for column, value in row.items():
        if value is None or (isinstance(value, float) and value != value):
            continue
        try:
            data[column] = _json_shaped(value)
        except _NotText as exc:
            return Row(number, None, "", LineProblem(f"{column}{exc.path}", "binary data that is not UTF-8 text"))
    return Row(number, data)


class _NotText(ValueError):
    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


def _json_shaped(value: Any, path: str = "") -> Any:
    """A cell as JSON would carry it, at any depth: bytes as UTF-8 text, decimals as exact text,
    dates and times in ISO 8601, durations in seconds, structs as objects (Arrow maps arrive as lists
    of key-value pairs, and stay so)."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise _NotText(path) from None
    if isinstance(value, dict):
        return {str(key): _json_shaped(child, f"{path}.{key}") for key, child in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_shaped(child, f"{path}[{index}]") for index, child in enumerate(value)]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value
