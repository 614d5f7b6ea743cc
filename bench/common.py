"""What the benchmarks share: a project with N sample records ingested, percentile and run lines,
and timing a command in a child process.

Each script starts with `sys.path[0] = <repository root>`: run as a script, Python puts bench/
first on the path, where bench/queue.py would stand in for the standard library's `queue`.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from annotate.ingest import ingest_files
from annotate.project import Project, init_project
from annotate.sample.generator import generate_records
from annotate.sample.write import write_jsonl


def ingested_project(workdir: Path, n_records: int, seed: int) -> tuple[Project, dict[str, float]]:
    """A new project with `n_records` sample records ingested; seconds spent generating and ingesting."""
    timings = {}
    project = init_project(workdir / "project")
    logs = workdir / "logs.jsonl"
    started = time.perf_counter()
    write_jsonl(logs, generate_records(n_records, seed=seed))
    timings["generate"] = time.perf_counter() - started
    with project.open_store() as store:
        started = time.perf_counter()
        summary = ingest_files(store, [logs], limits=project.config.ingest)
        timings["ingest"] = time.perf_counter() - started
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file (some copy it)
    if summary.exit_code != 0:
        sys.exit(f"ingest failed (exit {summary.exit_code}): {summary.files}")
    logs.unlink()
    return project, timings


SHARE_WITH_OVERLAP = 0.2  # share of benchmark tasks that need 3 annotations (the rest need 1)


def correction_task_rows(record_ids: list[str], round_id: int, rng: random.Random) -> list[dict]:
    """Open correction tasks on these records, routed to the app, with random priorities and overlap."""
    return [
        {
            "kind": "correction", "record_id": record_id, "record_b_id": None, "origin": "bench",
            "priority": rng.random(), "why": "", "cluster": None,
            "required_annotations": 3 if rng.random() < SHARE_WITH_OVERLAP else 1,
            "is_gold": 0, "gold_answer": None, "route": "app", "round_id": round_id,
        }  # fmt: skip
        for record_id in record_ids
    ]


def percentile(seconds: list[float], share: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(seconds)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1] * 1000


def summary_line(seconds: list[float], width: int = 8) -> str:
    return (
        f"p50 {percentile(seconds, .50):{width}.3f}   p95 {percentile(seconds, .95):{width}.3f}   "
        f"p99 {percentile(seconds, .99):{width}.3f}   mean {sum(seconds) / len(seconds) * 1000:{width}.3f}   ms"
    )


REPO = Path(__file__).resolve().parent.parent


def measure_command(command: list[str], repeats: int) -> list[float]:
    """Wall seconds of a child process per run, its stdout to /dev/null."""
    env = {key: value for key, value in os.environ.items() if key not in ("FLYWHEEL_DB", "FLYWHEEL_PROJECT")}
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=env, cwd=REPO)
        times.append(time.perf_counter() - started)
    return times


def runs_line(times: list[float]) -> str:
    """Median and each run, in seconds (milliseconds when under 0.1 s)."""
    scale, unit = (1, "s ") if statistics.median(times) >= 0.1 else (1000, "ms")
    shown = " / ".join(f"{value * scale:.3f}" for value in times)
    first = " (first cold)" if len(times) > 1 else ""
    return f"median {statistics.median(times) * scale:8.3f} {unit}  runs {shown} {unit.strip()}{first}"


@contextmanager
def timed_functions(module: object, names: tuple[str, ...], totals: dict[str, float]) -> Iterator[None]:
    """Add each call's seconds to `totals[name]` while inside, for the module functions that exist."""
    originals = {name: getattr(module, name) for name in names if callable(getattr(module, name, None))}

    def wrap(name: str, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                totals[name] += time.perf_counter() - started

        return timed

    for name, function in originals.items():
        setattr(module, name, wrap(name, function))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(module, name, function)
