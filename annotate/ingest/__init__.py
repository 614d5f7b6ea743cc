"""Ingest: production logs into the `records` table, validated, streamed and idempotent.

`ingest_files(store, paths, ...)` reads each file in batches; each batch of valid records and
the ingest's progress commit together, so a run killed at any moment leaves a consistent store
and a re-run completes it without duplicates (ids are stable, inserts skip known ids). Every
bad line goes to a rejects file with file, line, field and reason; every valid line is kept.

An ingest records its host and process id; the next ingest marks a run whose process has died
(`kill -9`, a crash) as failed with a note (`mark_dead_ingests`), and ingesting its file again
resumes it: what its committed batches stored is "already present", the rest is added.

Exit codes (`IngestSummary.exit_code`): 0 every line ingested (or already present),
3 some lines rejected, 2 nothing could be ingested or an input could not be read.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from annotate.config import IngestLimits
from annotate.crash_points import crash_point
from annotate.errors import IngestError
from annotate.ingest.normalise import from_table_row, record_from_data, record_from_json_line, tabular_columns
from annotate.ingest.pipeline import blocks_of, checked
from annotate.ingest.readers import LineProblem, Row, detect_format, open_reader
from annotate.ingest.rows import to_row
from annotate.ingest.traces import TRACE_FORMATS
from annotate.ingest.traces.reader import TraceReader, validate_row
from annotate.project import current_round
from annotate.records import Reject
from annotate.store import Store

log = logging.getLogger(__name__)

EXIT_OK, EXIT_NOTHING_INGESTED, EXIT_SOME_REJECTED = 0, 2, 3
ProgressCallback = Callable[[str, int, int], None]


@dataclass
class FileSummary:
    path: str
    format: str = ""
    read: int = 0
    ingested: int = 0
    present: int = 0
    rejected: int = 0
    rejects_path: str | None = None
    error: str | None = None


@dataclass
class IngestSummary:
    files: list[FileSummary] = field(default_factory=list)
    interrupted: list[str] = field(default_factory=list)  # earlier runs found dead, in words

    def total(self, name: str) -> int:
        return sum(getattr(summary, name) for summary in self.files)

    @property
    def exit_code(self) -> int:
        kept = self.total("ingested") + self.total("present")
        if any(summary.error for summary in self.files):
            return EXIT_NOTHING_INGESTED
        if self.total("rejected"):
            return EXIT_SOME_REJECTED if kept else EXIT_NOTHING_INGESTED
        return EXIT_OK


class RejectsFile:
    """Rejected lines as JSONL, opened only when the first reject arrives."""

    def __init__(self, path: Path):
        self.path = path
        self._handle: IO[str] | None = None

    def write(self, reject: Reject) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "w", encoding="utf-8")
        self._handle.write(reject.model_dump_json() + "\n")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def ingest_files(
    store: Store,
    paths: Iterable[str | Path],
    *,
    source: str = "production",
    fmt: str = "auto",
    mapping: dict[str, str] | None = None,
    limits: IngestLimits | None = None,
    rejects_path: Path | None = None,
    rejects_dir: Path | None = None,
    progress: ProgressCallback | None = None,
) -> IngestSummary:
    """Ingest every file into the open round. See the module docstring for the guarantees."""
    limits = limits or IngestLimits()
    round_id = current_round(store)["id"]
    summary = IngestSummary(interrupted=mark_dead_ingests(store))
    shared_rejects = RejectsFile(rejects_path) if rejects_path else None
    try:
        for path in map(Path, paths):
            file_summary = FileSummary(path=str(path))
            summary.files.append(file_summary)
            try:
                file_summary.format = detect_format(path, fmt)
                _ingest_one(store, path, file_summary, source, mapping or {}, limits, round_id,
                            shared_rejects, rejects_dir or store.path.parent / "rejects", progress)  # fmt: skip
            except IngestError as exc:
                file_summary.error = str(exc)
                log.error("%s", exc)
    finally:
        if shared_rejects:
            shared_rejects.close()
    return summary


def mark_dead_ingests(store: Store) -> list[str]:
    """Mark the runs still 'running' whose process is gone (on this host; a run from before
    processes were recorded) as failed, with a note; returns what was found, in words."""
    here = socket.gethostname()
    found = []
    for run in store.running_ingests():
        if run["host"] not in (None, here) or (run["pid"] is not None and _alive(run["pid"])):
            continue
        note = (f"interrupted: its process ({run['pid'] or 'unknown'}) ended before it finished, after {run['n_read']:,} "
                f"lines; ingesting {run['path']} again keeps what it stored and adds the rest")  # fmt: skip
        store.mark_ingest_interrupted(run["id"], note)
        found.append(f"ingest {run['id']} of {run['path']} was {note}")
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ingest_one(
    store: Store,
    path: Path,
    summary: FileSummary,
    source: str,
    mapping: dict[str, str],
    limits: IngestLimits,
    round_id: int,
    shared_rejects: RejectsFile | None,
    rejects_dir: Path,
    progress: ProgressCallback | None,
) -> None:
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    reader = TraceReader(path, summary.format) if summary.format in TRACE_FORMATS else open_reader(path, summary.format)
    columns = _columns_for(reader, path, summary.format, mapping)
    ingest_id = store.start_ingest(round_id=round_id, source=source, path=str(path), fmt=summary.format,
                                   host=socket.gethostname(), pid=os.getpid())  # fmt: skip
    crash_point("ingest:started")
    rejects = shared_rejects or RejectsFile(rejects_dir / f"ingest-{ingest_id}-{path.name}.rejects.jsonl")
    batch: list[tuple[Any, ...]] = []
    batch_read = batch_rejected = 0
    status = "failed"

    def check(row: Row) -> tuple[Any, ...] | Reject:
        outcome = _validate(row, columns, summary.format, limits)
        if isinstance(outcome, LineProblem):
            return _reject(path, row, outcome)
        return to_row(outcome, source=source, round_id=round_id, ingest_id=ingest_id)

    try:
        outcomes = checked(blocks_of(reader), check, _workers(limits))
        while True:
            try:
                outcome = next(outcomes, None)
            except IngestError as exc:  # the file stops being readable: keep what was read before
                _commit(store, ingest_id, summary, batch, batch_read, batch_rejected, rejects)
                kept = summary.ingested + summary.present
                raise IngestError(f"{exc}; " + (f"the {kept:,} good lines before it were kept" if kept else "no line before it was kept")) from exc
            if outcome is None:
                break
            batch_read += 1
            if isinstance(outcome, Reject):
                batch_rejected += 1
                rejects.write(outcome)
            else:
                batch.append(outcome)
            if batch_read >= limits.batch_size:
                _commit(store, ingest_id, summary, batch, batch_read, batch_rejected, rejects)
                crash_point("ingest:batch-committed")
                batch, batch_read, batch_rejected = [], 0, 0
                if progress:
                    progress(str(path), reader.done, reader.total)
        _commit(store, ingest_id, summary, batch, batch_read, batch_rejected, rejects)
        status = "done"
    finally:
        if not shared_rejects:
            rejects.close()
        store.finish_ingest(ingest_id, status)
        if progress:
            progress(str(path), reader.total, reader.total)


def _workers(limits: IngestLimits) -> int:
    return limits.workers or os.cpu_count() or 1


def _columns_for(reader: Any, path: Path, fmt: str, mapping: dict[str, str]) -> dict[str, str] | None:
    """For tables, the column-to-field map (a missing mapped column fails the whole file)."""
    if fmt in TRACE_FORMATS:
        if mapping:
            raise IngestError(f"{path}: --map applies to JSONL, CSV and Parquet files, not to {fmt} traces")
        return None
    if fmt == "jsonl":
        return {column: field for field, column in mapping.items()} if mapping else None
    try:
        return tabular_columns(reader.header(), mapping)
    except ValueError as exc:
        raise IngestError(f"{path}: {exc}") from exc


def _validate(row: Row, columns: dict[str, str] | None, fmt: str, limits: IngestLimits) -> Any:
    if fmt in TRACE_FORMATS:
        return validate_row(row, fmt, limits)
    if row.problem is not None:
        return row.problem
    if fmt == "jsonl":
        return record_from_json_line(row.text, limits, columns)
    return record_from_data(from_table_row(row.data or {}, columns or {}), row.text, limits)


def _reject(path: Path, row: Row, problem: LineProblem) -> Reject:
    excerpt = row.text if row.text else json.dumps(row.data, default=str) if row.data else ""
    return Reject(file=str(path), line=row.line, field=problem.field, reason=problem.reason, excerpt=excerpt)


def _commit(
    store: Store,
    ingest_id: int,
    summary: FileSummary,
    batch: list[tuple[Any, ...]],
    n_read: int,
    n_rejected: int,
    rejects: RejectsFile,
) -> None:
    if not n_read:
        return
    rejects_path = str(rejects.path) if n_rejected else None
    inserted = store.commit_ingest_batch(ingest_id, batch, n_read=n_read, n_rejected=n_rejected, rejects_path=rejects_path)
    summary.read += n_read
    summary.ingested += inserted
    summary.present += len(batch) - inserted
    summary.rejected += n_rejected
    if n_rejected:
        summary.rejects_path = rejects_path
