"""Benchmark: the review queue, `next_task` + `submit` latency, against a bare indexed query in the same run.

    .venv/bin/python bench/queue.py                                   # 1,000,000 records, 200,000 open tasks
    .venv/bin/python bench/queue.py --records 20000 --tasks 5000      # a quick look

Setup (not timed as part of the figures, but printed): a fresh project (`init_project`),
`--records` records from `generate_records` written to JSONL and ingested with
`annotate.ingest.ingest_files` (the code path of `flywheel ingest`, validation and ids included);
`--tasks` correction tasks on distinct records, chosen at random, created through the store's
`insert_tasks` (random priorities from a seeded RNG, 20% needing 3 annotations, the rest 1, all
routed to the app, in the open round); `--annotators` annotators added with `add_annotator`.

(a) Measured, in one process on one store, `--iterations` times, cycling through the annotators:
    `next_task(store, email)` (claim the best open slot, build the expert's view) then
    `submit(store, task_id, email, answer)` with a 'corrected' correction answer. Wall time per
    call with `time.perf_counter()`: p50, p95, p99 and mean of next_task, of submit and of the pair.
(b) Baseline, on the same database and the same connection, timed the same number of times:
    the bare indexed query `SELECT id FROM tasks WHERE status = 'open' AND route = 'app'
    ORDER BY priority DESC, id LIMIT 1` (it walks the partial index `tasks_queue`), read to the
    end with `fetchall`. The ratio is (a) pair p95 over (b) p95: what claiming, viewing and
    submitting cost over the cheapest possible "what is next".
Also printed: the query plan of the store's `best_open_task` (its SQL captured as it runs, then
`EXPLAIN QUERY PLAN` with the same parameters) to show it walks `tasks_queue` rather than
sorting, the pair's p95 over the first and the last quarter of the iterations (does latency
grow as claims and annotations pile up?), and the size of the database file.

Target (issue text): p95 of next_task + submit under 20 ms at 1,000,000 records and 200,000
open tasks. The verdict is printed as a statement; nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

from annotate.review.annotators import add_annotator
from annotate.review.claims import next_task, submit
from annotate.store import Store
from bench.common import correction_task_rows, ingested_project, percentile, summary_line

TARGET_P95_MS = 20.0
BASELINE = "SELECT id FROM tasks WHERE status = 'open' AND route = 'app' ORDER BY priority DESC, id LIMIT 1"
ANSWER = {
    "kind": "correction",
    "verdict": "corrected",
    "corrected_response": "Refunds reach your card within 5 to 10 business days of the cancellation.",
    "failure_categories": ["factual_error"],
    "severity": "major",
    "rationale": "The response gave the wrong refund window.",
}


def build_store(workdir: Path, n_records: int, n_tasks: int, n_annotators: int, seed: int) -> tuple[Store, list[str], dict]:
    """A project with the records ingested, the tasks queued and the annotators added; setup timings."""
    project, timings = ingested_project(workdir, n_records, seed)
    store = project.open_store()

    record_ids = [row[0] for row in store.conn.execute("SELECT id FROM records ORDER BY rowid")]
    if n_tasks > len(record_ids):
        sys.exit(f"--tasks {n_tasks:,} needs at least that many records; the store has {len(record_ids):,}")
    rng = random.Random(seed)
    rows = correction_task_rows(rng.sample(record_ids, n_tasks), store.open_round()["id"], rng)
    started = time.perf_counter()
    store.insert_tasks(rows)
    timings["tasks"] = time.perf_counter() - started

    emails = [f"expert{index:02d}@bench.example" for index in range(n_annotators)]
    for email in emails:
        add_annotator(store, email)
    return store, emails, timings


def best_open_task_plan(store: Store, annotator_id: int) -> list[str]:
    """EXPLAIN QUERY PLAN of the SQL `best_open_task` runs, captured from the call itself."""
    captured = []
    query = store.db.query

    def recording(sql, params=None):
        captured.append((sql, params))
        return query(sql, params)

    store.db.query = recording
    try:
        store.best_open_task(annotator_id, kind=None, route="app")
    finally:
        del store.db.query  # back to the class's method
    sql, params = captured[-1]
    return [row[-1] for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql, params or {})]


def measure_queue(store: Store, emails: list[str], iterations: int) -> tuple[list[float], list[float], list[float]]:
    """Seconds of next_task, of submit, and of the pair, per iteration."""
    claims, submits, pairs = [], [], []
    for index in range(iterations):
        email = emails[index % len(emails)]
        started = time.perf_counter()
        view = next_task(store, email)
        claimed = time.perf_counter()
        if view is None:
            sys.exit(f"the queue ran dry after {index} iterations; use more --tasks or fewer --iterations")
        submit(store, view.task_id, email, ANSWER)
        done = time.perf_counter()
        claims.append(claimed - started)
        submits.append(done - claimed)
        pairs.append(done - started)
    return claims, submits, pairs


def measure_baseline(conn: sqlite3.Connection, iterations: int) -> list[float]:
    times = []
    for _ in range(iterations):
        started = time.perf_counter()
        conn.execute(BASELINE).fetchall()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records to generate and ingest")
    parser.add_argument("--tasks", type=int, default=200_000, help="open correction tasks to queue")
    parser.add_argument("--annotators", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=2_000, help="next_task + submit pairs to time")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="flywheel-bench-") as folder:
        store, emails, setup = build_store(Path(folder), args.records, args.tasks, args.annotators, args.seed)
        with store:
            first = store.annotator_by_email(emails[0])["id"]
            plan = best_open_task_plan(store, first)
            baseline_plan = [row[-1] for row in store.conn.execute("EXPLAIN QUERY PLAN " + BASELINE)]
            open_before = store.conn.execute("SELECT COUNT(*) FROM tasks WHERE status = 'open'").fetchone()[0]

            claims, submits, pairs = measure_queue(store, emails, args.iterations)
            baseline = measure_baseline(store.conn, args.iterations)

            open_after = store.conn.execute("SELECT COUNT(*) FROM tasks WHERE status = 'open'").fetchone()[0]
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            size_mb = store.path.stat().st_size / 1e6

    pair_p95, baseline_p95 = percentile(pairs, .95), percentile(baseline, .95)
    quarter = max(1, len(pairs) // 4)
    uses_index = any("tasks_queue" in step for step in plan) and not any("TEMP B-TREE" in step for step in plan)
    verdict = "meets" if pair_p95 < TARGET_P95_MS else "misses"

    print(f"records              {args.records:,}, tasks {args.tasks:,} ({open_before:,} open before, {open_after:,} after)")
    print(f"setup                generate+write {setup['generate']:.1f} s, ingest_files {setup['ingest']:.1f} s "
          f"({args.records / setup['ingest']:,.0f} records/s), insert_tasks {setup['tasks']:.1f} s")
    print(f"database file        {size_mb:,.0f} MB")
    print(f"iterations           {args.iterations:,}, cycling {args.annotators} annotators")
    print(f"(a) next_task        {summary_line(claims)}")
    print(f"(a) submit           {summary_line(submits)}")
    print(f"(a) pair             {summary_line(pairs)}")
    print(f"(b) bare SELECT      {summary_line(baseline)}")
    print(f"ratio (a)/(b) p95    {pair_p95 / baseline_p95:,.0f}x   (pair p95 over the bare query's p95)")
    print(f"pair p95 by quarter  first {percentile(pairs[:quarter], .95):.2f} ms, last {percentile(pairs[-quarter:], .95):.2f} ms")
    print(f"target               the pair's p95 of {pair_p95:.2f} ms {verdict} the target of under {TARGET_P95_MS:.0f} ms")
    print(f"best_open_task plan  {'walks tasks_queue, no sort' if uses_index else 'DOES NOT walk tasks_queue without a sort'}:")
    for step in plan:
        print(f"                       {step}")
    print(f"bare SELECT plan     {'; '.join(baseline_plan)}")
    print(f"cpu                  {os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")


if __name__ == "__main__":
    main()
