"""Benchmark: one page run of the correction workspace, against the bare `next_task` call in the same run.

    .venv/bin/python bench/workspace.py                                   # 200,000 records, 20,000 tasks
    .venv/bin/python bench/workspace.py --records 20000 --tasks 2000 --runs 50  # a quick look

Setup (timed, printed, not part of the figures): a fresh project (`init_project`), `--records`
records from `generate_records` written to JSONL and ingested with `annotate.ingest.ingest_files`
(the code path of `flywheel ingest`); the `negative_feedback` and `low_confidence` flaggers run
over them with `run_flaggers` (the fast ones; no PII, format or inconsistency pass); `--tasks`
correction tasks on distinct records chosen at random, flagged records first (as the task
selection would pick them), so the page shows "Why am I looking at this?"; the rows are those
of `bench/queue.py` (seeded random priorities, 20% needing 3 annotations, routed to the app, in
the open round), created through the store's `insert_tasks`. One annotator, added with
`add_annotator` and a password. `FLYWHEEL_PROJECT` is set to the project folder, as
`flywheel app` does.

(a) One Streamlit `AppTest`, built once from a script that calls `init_session_state()` and then
    `annotate.ui.correction.correction_page()` (as `tests/conftest.run_page` does), with the
    annotator's row (`id`, `email`, `name`, `role`, `active`) as the signed-in user and
    `last_active` in its session state. A first, untimed run imports the app and claims a task.
    Wall time of `at.run()` with `time.perf_counter()`, p50, p95, p99 and mean, of:
    (a1) rerun: `at.run()` `--runs` times with nothing changed. Each run re-claims (extends
         the lease on) the task the expert holds and renders it again: what every rerun costs
         while an expert edits (each keystroke that leaves a widget, each click).
    (a2) submit: `--runs` times, verdict 'acceptable' set on the radio and Submit clicked, then
         `at.run()`: the submit callback, claiming the next task and rendering it, in one page run.
    AppTest runs the page in-process with no browser and no websocket: its time is the server
    side of a page run (the script run, the store calls, building the element tree), not what a
    browser shows, so network and front-end rendering are not in these figures.
(b) Baseline, on the same database and in the same process, timed `--runs` times: the bare
    `next_task(store, email)` call on one store opened once. The annotator holds a task, so it
    returns that task with its lease extended: the claim (a1) makes on every rerun, without
    Streamlit, without opening the store and without the page's other queries.
    The ratio is (a1) p95 over (b) p95.
Also printed, for reference, the pieces of a page run outside `next_task`, each timed `--runs`
times: opening the store as a page run does (`current_project().open_store()`, a new Project and
config, a new connection, the migration check, the settings comparison), and `progress_of`
(the "done today · open in the queue" caption); the size of the database file; and whether the
page showed "Why am I looking at this?".

Target (issue text): p95 of one page run under 150 ms at 200,000 records. The verdict is printed as
a statement for (a1) and (a2); nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

from streamlit.testing.v1 import AppTest

from annotate.flagging import run_flaggers
from annotate.project import Project
from annotate.review.annotators import add_annotator
from annotate.review.claims import next_task, progress_of
from annotate.store import Store
from annotate.ui.store_access import current_project
from bench.common import correction_task_rows, ingested_project, percentile, summary_line

TARGET_P95_MS = 150.0
EMAIL = "expert@bench.example"
PASSWORD = "bench-password-1234"
FLAGGERS = ["negative_feedback", "low_confidence"]
PAGE = """
from annotate.ui.state import init_session_state
from annotate.ui.correction import correction_page

init_session_state()
correction_page()
"""


def build_project(workdir: Path, n_records: int, n_tasks: int, seed: int) -> tuple[Project, dict, dict]:
    """The project with records ingested and flagged, tasks queued and one annotator; setup timings and counts."""
    counts = {}
    project, timings = ingested_project(workdir, n_records, seed)
    with project.open_store() as store:
        started = time.perf_counter()
        run_flaggers(store, project.config, project.root, only=FLAGGERS)
        timings["flag"] = time.perf_counter() - started

        record_ids = [row[0] for row in store.conn.execute("SELECT id FROM records ORDER BY rowid")]
        if n_tasks > len(record_ids):
            sys.exit(f"--tasks {n_tasks:,} needs at least that many records; the store has {len(record_ids):,}")
        flagged = {row[0] for row in store.conn.execute("SELECT DISTINCT record_id FROM flags")}
        rng = random.Random(seed)
        with_flags = [record_id for record_id in record_ids if record_id in flagged]
        without = [record_id for record_id in record_ids if record_id not in flagged]
        chosen = rng.sample(with_flags, min(n_tasks, len(with_flags)))
        chosen += rng.sample(without, n_tasks - len(chosen))
        rows = correction_task_rows(chosen, store.open_round()["id"], rng)
        started = time.perf_counter()
        store.insert_tasks(rows)
        timings["tasks"] = time.perf_counter() - started

        started = time.perf_counter()
        add_annotator(store, EMAIL, password=PASSWORD)
        timings["annotator"] = time.perf_counter() - started
        counts["flagged"] = len(flagged)
        counts["tasks_flagged"] = sum(1 for record_id in chosen if record_id in flagged)
    return project, timings, counts


def signed_in_app(store: Store) -> AppTest:
    """The page under AppTest, with the annotator signed in, not yet run."""
    row = store.annotator_by_email(EMAIL)
    # Setting session state before the first run warns "missing ScriptRunContext" (harmless in bare mode).
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    at = AppTest.from_string(PAGE, default_timeout=60)
    at.session_state["user"] = {key: row[key] for key in ("id", "email", "name", "role", "active")}
    at.session_state["last_active"] = time.time()
    return at


def page_failed(at: AppTest) -> str | None:
    if at.exception:
        return "; ".join(element.message for element in at.exception)
    if not [button for button in at.button if (button.key or "").startswith("submit-")] and not at.success:
        return "the page showed no task and no 'nothing waiting' message"
    return None


def held_task_id(at: AppTest) -> int | None:
    keys = [button.key for button in at.button if (button.key or "").startswith("submit-")]
    return int(keys[0].removeprefix("submit-")) if keys else None


def shows_why(at: AppTest) -> bool:
    return any("Why am I looking at this?" in element.value for element in at.markdown)


def measure_reruns(at: AppTest, runs: int) -> list[float]:
    """Seconds of `at.run()` with nothing changed: the held task re-claimed and rendered again."""
    times = []
    task_id = held_task_id(at)
    for index in range(runs):
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
        problem = page_failed(at)
        if problem or held_task_id(at) != task_id:
            sys.exit(f"rerun {index}: {problem or f'the page moved from task {task_id} to {held_task_id(at)}'}")
    return times


def measure_submits(at: AppTest, runs: int) -> list[float]:
    """Seconds of `at.run()` after setting the verdict and clicking Submit: submit, claim the next, render it."""
    times = []
    for index in range(runs):
        task_id = held_task_id(at)
        if task_id is None:
            sys.exit(f"submit {index}: the queue ran dry; use more --tasks or fewer --runs")
        at.radio(key=f"verdict-{task_id}").set_value("acceptable")
        at.button(key=f"submit-{task_id}").click()
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
        problem = page_failed(at)
        if problem or held_task_id(at) == task_id or not at.success:
            sys.exit(f"submit {index} on task {task_id}: {problem or 'not saved, or the page did not move on'}")
    return times


def measure_next_task(store: Store, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        next_task(store, EMAIL)
        times.append(time.perf_counter() - started)
    return times


def measure_open_store(runs: int) -> list[float]:
    """Seconds to open and close the store as a page run does (a fresh Project and config each time)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        current_project().open_store().close()
        times.append(time.perf_counter() - started)
    return times


def measure_progress(store: Store, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        progress_of(store, EMAIL, "correction")
        times.append(time.perf_counter() - started)
    return times


def verdict(name: str, seconds: list[float]) -> str:
    p95 = percentile(seconds, .95)
    return f"{name} p95 of {p95:.1f} ms {'meets' if p95 < TARGET_P95_MS else 'misses'} the target of under {TARGET_P95_MS:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=200_000, help="records to generate and ingest")
    parser.add_argument("--tasks", type=int, default=20_000, help="open correction tasks to queue")
    parser.add_argument("--runs", type=int, default=200, help="page runs to time, per variant (and baseline calls)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.runs + 1 > args.tasks:
        sys.exit(f"--tasks {args.tasks:,} is too few for --runs {args.runs:,} submits")

    with tempfile.TemporaryDirectory(prefix="flywheel-bench-") as folder:
        project, setup, counts = build_project(Path(folder), args.records, args.tasks, args.seed)
        os.environ["FLYWHEEL_PROJECT"] = str(project.root)
        os.environ.pop("FLYWHEEL_DB", None)  # the project's own database, whatever the shell says

        with project.open_store() as store:
            at = signed_in_app(store)
            started = time.perf_counter()
            at.run()  # imports the app, claims the first task: not part of the figures
            first_run = time.perf_counter() - started
            problem = page_failed(at)
            if problem:
                sys.exit(f"the first page run failed: {problem}")
            why_shown = shows_why(at)

            reruns = measure_reruns(at, args.runs)
            baseline = measure_next_task(store, args.runs)  # the same held task: an extend-lease claim
            opens = measure_open_store(args.runs)
            progress = measure_progress(store, args.runs)
            submits = measure_submits(at, args.runs)

            open_tasks = store.conn.execute("SELECT COUNT(*) FROM tasks WHERE status = 'open'").fetchone()[0]
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            size_mb = store.path.stat().st_size / 1e6

    rerun_p95, baseline_p95 = percentile(reruns, .95), percentile(baseline, .95)
    print(f"records              {args.records:,}, tasks {args.tasks:,} ({open_tasks:,} open at the end), one annotator")
    print(f"setup                generate+write {setup['generate']:.1f} s, ingest_files {setup['ingest']:.1f} s, "
          f"run_flaggers {'+'.join(FLAGGERS)} {setup['flag']:.1f} s, insert_tasks {setup['tasks']:.1f} s, "
          f"add_annotator {setup['annotator']:.1f} s")  # fmt: skip
    print(f"flags                {counts['flagged']:,} records flagged; {counts['tasks_flagged']:,} of the {args.tasks:,} "
          f"task records; 'Why am I looking at this?' {'shown' if why_shown else 'NOT shown'} on the first task")  # fmt: skip
    print(f"database file        {size_mb:,.0f} MB")
    print(f"first page run       {first_run * 1000:,.0f} ms (imports and the first claim; not in the figures)")
    print(f"runs                 {args.runs:,} per line; AppTest times the server side (script run), no browser")
    print(f"(a1) page rerun      {summary_line(reruns)}")
    print(f"(a2) page submit     {summary_line(submits)}")
    print(f"(b) bare next_task   {summary_line(baseline)}")
    print(f"ratio (a1)/(b) p95   {rerun_p95 / baseline_p95:,.0f}x   (page rerun p95 over the bare next_task p95)")
    print(f"ratio (a2)/(b) p95   {percentile(submits, .95) / baseline_p95:,.0f}x")
    print(f"for reference        open_store as a page run does: {summary_line(opens)}")
    print(f"                     progress_of (the caption):     {summary_line(progress)}")
    print(f"target (a1)          {verdict('the page rerun', reruns)}")
    print(f"target (a2)          {verdict('the page run with a submit', submits)}")
    print(f"cpu                  {os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")


if __name__ == "__main__":
    main()
