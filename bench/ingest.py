"""Benchmark: `flywheel ingest` end to end against a bare sqlite3 baseline, in the same run.

    .venv/bin/python bench/ingest.py              # 200,000 records
    .venv/bin/python bench/ingest.py --n 1000000  # the RSS target is for a million

(a) `flywheel ingest` as a user runs it: a subprocess on a fresh project, validation, ids,
    rejects handling, batched commits. Its peak RSS is the child's max resident set.
(b) Baseline (issue 23): the same JSONL file streamed, `json.loads` per line, the fields put
    into tuples as they are (no validation, no normalisation, no ids beyond the external one)
    and `executemany`'d in batches of the same size into a table with the same columns and only
    a primary key (no secondary index, trigger or foreign key), one commit per batch.
(b') Issue 2's baseline: the same, into a table of the store's own shape (the same DDL,
    indexes included).
Also printed, for reference: (c) the insert alone, `executemany` of tuples already built in
memory into the store's shape, which is the floor no file-reading ingest can reach.

Targets: (a)/(b) >= 0.6 at 100,000 and at 1,000,000 records (issue 23; (a)/(b') >= 0.5 was
issue 2's), and peak RSS of (a) < 300 MB at 1,000,000 records. `--repeat K` runs (a), (b) and
(b') K times, interleaved, and prints the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

from annotate.config import IngestLimits  # noqa: E402 (after the sys.path line)
from annotate.project import init_project  # noqa: E402
from annotate.sample.generator import generate_records  # noqa: E402
from annotate.sample.write import write_jsonl  # noqa: E402
from annotate.store import Store  # noqa: E402
from annotate.store.records import RECORD_COLUMNS  # noqa: E402

BATCH = IngestLimits().batch_size  # the same batch size as flywheel ingest
INSERT = "INSERT OR IGNORE INTO records ({}) VALUES ({})".format(", ".join(RECORD_COLUMNS), ", ".join("?" * len(RECORD_COLUMNS)))


def run_flywheel_ingest(workdir: Path, logs: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of `flywheel ingest` in a child process."""
    project = init_project(workdir / "project")
    command = [sys.executable, "-m", "annotate", "--project", str(project.root), "--quiet", "ingest", str(logs)]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"flywheel ingest failed with exit {result.returncode}:\n{result.stdout}\n{result.stderr}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kb / 1024


def baseline_row(line: str) -> tuple:
    data = json.loads(line)
    feedback, logprobs = data.get("feedback") or {}, data.get("logprobs") or {}
    return (
        data["id"], "bench", data["id"], json.dumps(data["messages"]), data["response"], data.get("model"), None,
        data.get("created_at"), feedback.get("thumbs"), feedback.get("rating"), feedback.get("comment"),
        logprobs.get("mean"), logprobs.get("min"), data.get("group"), json.dumps(data.get("metadata") or {}), 1, None,
        *(data.get(column) for column in RECORD_COLUMNS[17:]),  # tool calls, refusal, tools...: absent in these logs
    )  # fmt: skip


def empty_records_table(path: Path) -> sqlite3.Connection:
    Store(path).close()  # the same DDL and pragmas as the real store
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO rounds (name, started_at) VALUES ('bench', 'now')")
    conn.commit()
    return conn


def primary_key_only_table(path: Path) -> sqlite3.Connection:
    """A table with the records' columns and only a primary key."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    columns = ", ".join(f"{column} TEXT PRIMARY KEY" if column == "id" else column for column in RECORD_COLUMNS)
    conn.execute(f"CREATE TABLE records ({columns})")
    conn.commit()
    return conn


def run_baseline(workdir: Path, logs: Path, table=primary_key_only_table, name: str = "baseline.db") -> float:
    path = workdir / name
    for leftover in (path, path.with_name(name + "-wal"), path.with_name(name + "-shm")):
        leftover.unlink(missing_ok=True)
    conn = table(path)
    started = time.perf_counter()
    batch = []
    with open(logs, encoding="utf-8") as handle:
        for line in handle:
            batch.append(baseline_row(line))
            if len(batch) == BATCH:
                conn.executemany(INSERT, batch)
                conn.commit()
                batch = []
    conn.executemany(INSERT, batch)
    conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def run_insert_only(workdir: Path, logs: Path, limit: int = 200_000) -> float:
    """Records/s of executemany alone, on up to `limit` tuples built beforehand."""
    with open(logs, encoding="utf-8") as handle:
        rows = [baseline_row(line) for _, line in zip(range(limit), handle)]
    conn = empty_records_table(workdir / "insert_only.db")
    started = time.perf_counter()
    for start in range(0, len(rows), BATCH):
        conn.executemany(INSERT, rows[start : start + BATCH])
        conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return len(rows) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200_000, help="records to generate and ingest")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="runs of (a), (b) and (b'), interleaved; medians printed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="flywheel-bench-") as folder:
        workdir = Path(folder)
        logs = workdir / "logs.jsonl"
        write_jsonl(logs, generate_records(args.n, seed=args.seed))
        size_mb = logs.stat().st_size / 1e6

        ingest_runs, baseline_runs, same_ddl_runs = [], [], []
        for run in range(args.repeat):
            seconds, peak_mb = run_flywheel_ingest(workdir / f"run{run}", logs)
            ingest_runs.append(seconds)
            baseline_runs.append(run_baseline(workdir, logs))
            same_ddl_runs.append(run_baseline(workdir, logs, empty_records_table, "same_ddl.db"))
        insert_only_rate = run_insert_only(workdir, logs)

    ingest_seconds, baseline_seconds, same_ddl_seconds = map(statistics.median, (ingest_runs, baseline_runs, same_ddl_runs))
    ingest_rate, baseline_rate, same_ddl_rate = args.n / ingest_seconds, args.n / baseline_seconds, args.n / same_ddl_seconds
    runs = f"median of {args.repeat}" if args.repeat > 1 else "one run"
    print(f"records              {args.n:,} ({size_mb:.0f} MB of JSONL), {runs}")
    print(f"(a) flywheel ingest  {ingest_rate:,.0f} records/s ({ingest_seconds:.1f} s), peak RSS {peak_mb:.0f} MB (all: {_listed(ingest_runs)})")
    print(f"(b) bare, PK only    {baseline_rate:,.0f} records/s ({baseline_seconds:.1f} s; all: {_listed(baseline_runs)})")
    print(f"ratio (a)/(b)        {ingest_rate / baseline_rate:.2f}   (target >= 0.6)")
    print(f"(b') bare, same DDL  {same_ddl_rate:,.0f} records/s ({same_ddl_seconds:.1f} s; all: {_listed(same_ddl_runs)})")
    print(f"ratio (a)/(b')       {ingest_rate / same_ddl_rate:.2f}   (issue 2's target >= 0.5)")
    print(f"(c) insert only      {insert_only_rate:,.0f} records/s (executemany of prebuilt tuples, for reference)")
    print(f"cpu                  {os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")


def _listed(seconds: list[float]) -> str:
    return ", ".join(f"{value:.1f} s" for value in seconds)


if __name__ == "__main__":
    main()
