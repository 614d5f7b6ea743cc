"""Checking a file's lines in worker processes while the ingest process reads and stores them, in order.

Validating a line (pydantic) and building its row cost far more than storing it, so `checked`
sends blocks of input (a JSONL file's bytes, whole lines, or a list of other readers' rows) to
a pool of forked workers, which decode, validate and build rows, and yields each non-blank
line's outcome (a `records` row tuple, or the `Reject` that names what is wrong) in file order,
a few blocks ahead of the caller. A small file (two blocks or less) never starts a pool. When the
reader fails part-way (`IngestError`), the outcome of every line read before it comes first,
then the error, so the caller keeps exactly what it would have kept reading line by line.

Workers only compute: they never touch the store, so a killed ingest process leaves nothing
half-written (its workers see the pipe close and exit).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from annotate.errors import IngestError
from annotate.ingest.readers import JsonlReader, Row
from annotate.records import Reject

BLOCK_BYTES = 1 << 20  # a JSONL file's bytes sent to a worker at a time (whole lines)
BLOCK_ROWS = 2_000  # or rows of a table or a trace
Outcome = tuple[Any, ...] | Reject
Check = Callable[[Row], Outcome]


class Block(Protocol):
    def rows(self) -> Iterable[Row]: ...


@dataclass(frozen=True, slots=True)
class RowBlock:
    """Rows a reader has already parsed."""

    parsed: list[Row]

    def rows(self) -> Iterable[Row]:
        return self.parsed


def blocks_of(reader: Any) -> Iterator[Block]:
    """A reader's input in blocks: a JSONL file's lines as bytes (decoded by the workers), other
    readers' rows in lists."""
    return reader.blocks(BLOCK_BYTES) if isinstance(reader, JsonlReader) else _row_blocks(iter(reader))


def _row_blocks(rows: Iterator[Row]) -> Iterator[RowBlock]:
    """Rows in blocks of `BLOCK_ROWS`; when the reader fails, the rows before it come first."""
    block: list[Row] = []
    try:
        for row in rows:
            block.append(row)
            if len(block) >= BLOCK_ROWS:
                yield RowBlock(block)
                block = []
    except IngestError:
        yield RowBlock(block)
        raise
    yield RowBlock(block)


def checked(blocks: Iterator[Block], check: Check, workers: int) -> Iterator[Outcome]:
    """`check(row)` of each non-blank row of the blocks, in order; with `workers` > 1 (and more
    than two blocks, on a system that can fork), computed in that many worker processes."""
    pool = None
    pending: deque[Any] = deque()

    def send(block: Block) -> None:
        nonlocal pool
        if pool is None and workers > 1 and len(pending) >= 2 and "fork" in multiprocessing.get_all_start_methods():
            pool = multiprocessing.get_context("fork").Pool(workers, initializer=_become_worker, initargs=(check,))
        pending.append(_outcomes(block, check) if pool is None else pool.apply_async(_worker_outcomes, (block,)))

    def take() -> list[Outcome]:
        outcomes = pending.popleft()
        return outcomes if isinstance(outcomes, list) else outcomes.get()

    try:
        try:
            for block in blocks:
                send(block)
                while len(pending) > 2 * max(workers, 1):
                    yield from take()
        except IngestError:
            while pending:
                yield from take()
            raise
        while pending:
            yield from take()
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


def _outcomes(block: Block, check: Check) -> list[Outcome]:
    return [check(row) for row in block.rows() if row.data is not None or row.problem is not None or row.text]


_check: Check | None = None  # a worker's check, set when the pool forks


def _become_worker(check: Check) -> None:
    global _check
    _check = check
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the ingest process's to handle
    os.environ.pop("FLYWHEEL_CRASH_AT", None)  # and so are its crash points


def _worker_outcomes(block: Block) -> list[Outcome]:
    assert _check is not None
    return _outcomes(block, _check)
