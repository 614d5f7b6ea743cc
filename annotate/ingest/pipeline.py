"""Checking a file's rows in worker processes while the ingest process reads and stores, in order.

Validating a line (pydantic) and building its row cost about twice what reading and inserting
it does, so `checked_rows` sends blocks of rows to a pool of forked workers and yields each row
with its outcome (a `records` row tuple, or the `LineProblem` that rejects it) in file order,
a few blocks ahead of the caller. A small file (two blocks or less) never starts a pool. When
the reader fails part-way (`IngestError`), every row read before it is yielded first, then the
error is raised, so the caller keeps exactly what it would have kept reading line by line.

Workers only compute: they never touch the store, so a killed ingest process leaves nothing
half-written (its workers see the pipe close and exit).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from annotate.errors import IngestError
from annotate.ingest.readers import LineProblem, Row

BLOCK_ROWS = 2_000  # rows sent to a worker at a time
Outcome = tuple[Any, ...] | LineProblem
Check = Callable[[Row], Outcome]

_check: Check | None = None  # the worker's check, set when the pool forks


def checked_rows(rows: Iterator[Row], check: Check, workers: int) -> Iterator[tuple[Row, Outcome]]:
    """Each non-blank row with `check(row)`, in order; `workers` > 1 (and a file longer than two
    blocks, on a system that can fork) checks blocks in that many worker processes."""
    pool = None
    pending: deque[tuple[list[Row], Any]] = deque()
    block: list[Row] = []

    def send(rows_of_block: list[Row]) -> None:
        nonlocal pool
        if pool is None and workers > 1 and len(pending) >= 2 and "fork" in multiprocessing.get_all_start_methods():
            pool = _start_pool(check, workers)
        if pool is None:
            pending.append((rows_of_block, [check(row) for row in rows_of_block]))
        else:
            pending.append((rows_of_block, pool.apply_async(_check_block, (rows_of_block,))))

    def take() -> Iterator[tuple[Row, Outcome]]:
        rows_of_block, outcomes = pending.popleft()
        yield from zip(rows_of_block, outcomes if isinstance(outcomes, list) else outcomes.get())

    try:
        try:
            for row in rows:
                if row.data is None and row.problem is None and not row.text:
                    continue  # a blank line
                block.append(row)
                if len(block) == BLOCK_ROWS:
                    send(block)
                    block = []
                    while len(pending) > 2 * max(workers, 1):
                        yield from take()
        except IngestError:
            send(block)
            while pending:
                yield from take()
            raise
        send(block)
        while pending:
            yield from take()
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


def _start_pool(check: Check, workers: int) -> Any:
    return multiprocessing.get_context("fork").Pool(workers, initializer=_become_worker, initargs=(check,))


def _become_worker(check: Check) -> None:
    global _check
    _check = check
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the ingest process's to handle
    os.environ.pop("FLYWHEEL_CRASH_AT", None)  # crash points are the ingest process's


def _check_block(rows: list[Row]) -> list[Outcome]:
    assert _check is not None
    return [_check(row) for row in rows]
