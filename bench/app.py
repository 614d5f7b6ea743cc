"""Benchmark: every review-app page's server-side run time, per role, at the demo's size and at 100,000 tasks.

    .venv/bin/python bench/app.py                              # the demo's size, then 100,000 tasks
    .venv/bin/python bench/app.py --sizes demo --runs 5        # a quick look
    .venv/bin/python bench/app.py --sizes large --tasks 20000

Setup (timed, printed, not part of the figures):
- demo: the project `make demo-data` builds, up to its first snapshot (no model steps): `flywheel
  init`, the demo validators and guidelines, `ingest data/sample/records.jsonl`, `flag`, `gold import`,
  `select --budget 120 --spot-check 10%` and `--budget 40 --kind preference`, the four demo accounts, `annotations import
  data/sample/demo_answers.jsonl --add-annotators`, `export --kind sft --name support-sft`; each
  through the `flywheel` command in this process (typer's CliRunner).
- large: `bench/agreement.py`'s project (`build_project`: `--tasks` tasks, 20% preference, five
  annotators on each, 10% of answers missing, 1% edited, 0.5% gold; about 4.5 answers per task),
  plus `--open` open correction tasks on new records (so the workspaces have work) and a lead, an
  engineer and an admin (`insert_annotator`).
Every page of `annotate.ui.pages` is run, for every role it is offered to, as `tests/conftest.run_page`
does: a script that calls `init_session_state()` and the page function, with the person's row in
session state, under Streamlit's `AppTest` (in-process, no browser or websocket: the server side
of a page run; what a browser adds is not here). The signed-in person: expert00@bench.example
(large) or expert@demo.local (demo) as the annotator; the lead, engineer and admin accounts.
Each page is first run once for the admin, untimed (imports). Then, per page and role, wall time
of `at.run()` with `time.perf_counter()`:
(a) first: a new AppTest (a new browser session) after `st.cache_data.clear()`: a first visit
    after the store changed (every cache key then misses);
(b) rerun: `--runs` more runs of that AppTest, nothing changed: what a click that changes no
    data costs (a filter, a tab, a selectbox); the median is the figure;
(c) uncached: `--runs` runs, each after `st.cache_data.clear()`: the same page without its caches
    (what every rerun cost before they were keyed by the store's change counter); median.
Baselines in the same run, `--runs` times each, medians: an empty page (`st.title` only) under
AppTest, rerun (the floor every run pays) and first run of a new AppTest (the floor of (a)), and the agreement dashboard's domain calls alone
(`agreement_report`, `agreement_by_week`, `standings` on one open store).

Targets (issue text): each page usable within 1 s after a click at the demo's size, and within
2 s at 100,000 tasks. The verdict is printed for (b) and for (a); nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

import streamlit as st
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from annotate.cli import app as flywheel
from annotate.ingest.rows import to_row
from annotate.project import Project
from annotate.records import ROLES, RecordIn
from annotate.ui.access import PAGES_BY_ROLE
from bench.common import REPO, correction_task_rows

TARGETS_MS = {"demo": 1000.0, "large": 2000.0}
DEMO_PASSWORD = "flywheel-demo"
DEMO_ACCOUNTS = {"annotator": "expert@demo.local", "lead": "lead@demo.local", "engineer": "engineer@demo.local",
                 "admin": "admin@demo.local"}  # fmt: skip
LARGE_ACCOUNTS = {"annotator": "expert00@bench.example", "lead": "lead@bench.example",
                  "engineer": "engineer@bench.example", "admin": "admin@bench.example"}  # fmt: skip
PAGE = """
from annotate.ui.pages import SHOWN
from annotate.ui.state import init_session_state

init_session_state()
SHOWN[PAGE_NAME][0]()
"""
EMPTY = """
import streamlit as st

st.title("Empty")
"""


def demo_project(workdir: Path) -> Project:
    """The demo project as `make demo-data` builds it, up to the first export (no model steps)."""
    root = workdir / "demo-project"
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> None:
        result = runner.invoke(flywheel, ["--project", str(root), "--quiet", *args], input=stdin, catch_exceptions=False)
        if result.exit_code != 0:
            sys.exit(f"flywheel {' '.join(args)} failed (exit {result.exit_code}):\n{result.output}")

    result = runner.invoke(flywheel, ["init", str(root), "--name", "Ledgerly support (demo)"])
    if result.exit_code != 0:
        sys.exit(result.output)
    with (root / "flywheel.toml").open("a", encoding="utf-8") as config:
        config.write((REPO / "data/sample/demo-validators.toml").read_text(encoding="utf-8"))
    for name in ("triage.schema.json", "invoice.schema.json", "guidelines.md"):
        (root / name).write_bytes((REPO / "data/sample" / name).read_bytes())
    run("ingest", str(REPO / "data/sample/records.jsonl"), "--source", "ledgerly-prod")
    run("flag")
    run("gold", "import", str(REPO / "data/sample/gold.jsonl"))
    run("select", "--budget", "120", "--spot-check", "10%")
    run("select", "--budget", "40", "--kind", "preference")
    for role, email in DEMO_ACCOUNTS.items():
        run("users", "add", email, "--role", role, "--password-stdin", "--if-missing", stdin=DEMO_PASSWORD + "\n")
    run("users", "add", "expert2@demo.local", "--role", "annotator", "--password-stdin", stdin=DEMO_PASSWORD + "\n")
    run("annotations", "import", str(REPO / "data/sample/demo_answers.jsonl"), "--add-annotators")
    run("export", "--kind", "sft", "--name", "support-sft")
    return Project(root=root, db_path=root / "flywheel.db")


def large_project(workdir: Path, tasks: int, open_tasks: int, seed: int) -> Project:
    """bench/agreement.py's project of `tasks` answered tasks, plus `open_tasks` open ones and the other roles."""
    from bench.agreement import build_project

    settings = argparse.Namespace(tasks=tasks, annotators=5, per_task=5, missing=0.10, preference_share=0.20,
                                  gold=0.005, edits=0.01, seed=seed)  # fmt: skip
    project, *_ = build_project(workdir, settings)
    rng = random.Random(seed)
    with project.open_store() as store:
        round_id = store.open_round()["id"]
        rows = [to_row(RecordIn(id=f"open-{number}", messages=[{"role": "user", "content": f"Open question {number}?"}],
                                response=f"Open answer {number}."), source="bench", round_id=round_id, ingest_id=None)
                for number in range(open_tasks)]  # fmt: skip
        with store.transaction():
            store.insert_new_records(rows)
        store.insert_tasks(correction_task_rows([row[0] for row in rows], round_id, rng))
        for role, email in LARGE_ACCOUNTS.items():
            if store.annotator_by_email(email) is None:
                store.insert_annotator(email, role)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return project


def page_app(store, page: str, email: str) -> AppTest:
    row = store.annotator_by_email(email)
    at = AppTest.from_string(f"PAGE_NAME = {page!r}\n" + PAGE, default_timeout=300)
    at.session_state["user"] = {key: row[key] for key in ("id", "email", "name", "role", "active")}
    at.session_state["last_active"] = time.time()
    return at


def timed_run(at: AppTest, *, clear: bool = False) -> float:
    if clear:
        st.cache_data.clear()
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    if at.exception:
        sys.exit("the page failed: " + "; ".join(element.message for element in at.exception))
    return seconds


def measure_pages(project: Project, accounts: dict[str, str], runs: int) -> list[dict]:
    rows = []
    with project.open_store() as store:
        for page in PAGES_BY_ROLE["admin"]:  # every page, once, untimed: imports and first-call costs
            timed_run(page_app(store, page, accounts["admin"]))
        for role in ROLES:
            for page in PAGES_BY_ROLE.get(role, ()):
                at = page_app(store, page, accounts[role])
                first = timed_run(at, clear=True)
                reruns = [timed_run(at) for _ in range(runs)]
                uncached = [timed_run(at, clear=True) for _ in range(runs)]
                rows.append({"page": page, "role": role, "first": first, "rerun": statistics.median(reruns),
                             "uncached": statistics.median(uncached)})  # fmt: skip
    return rows


def measure_baselines(project: Project, runs: int) -> dict[str, float]:
    from annotate.consensus.agreement import agreement_by_week, agreement_report
    from annotate.review.annotators import list_annotators
    from annotate.review.quality import standings

    empty_firsts = [timed_run(AppTest.from_string(EMPTY, default_timeout=60)) for _ in range(runs)]
    empty = AppTest.from_string(EMPTY, default_timeout=60)
    empty_runs = [timed_run(empty) for _ in range(runs + 1)][1:]
    domain = []
    with project.open_store() as store:
        for _ in range(runs):
            started = time.perf_counter()
            agreement_report(store, project.config)
            agreement_by_week(store, project.config)
            standings(store, list_annotators(store))
            domain.append(time.perf_counter() - started)
    return {"empty page": statistics.median(empty_runs), "empty page, first run": statistics.median(empty_firsts),
            "agreement domain calls": statistics.median(domain)}  # fmt: skip


def report(size: str, counts: str, setup: float, rows: list[dict], baselines: dict[str, float], runs: int) -> None:
    target = TARGETS_MS[size]
    print(f"\n== {size}: {counts}; setup {setup:.1f} s; {runs} runs per median")
    print(f"{'page':<12}{'role':<11}{'(a) first ms':>14}{'(b) rerun ms':>14}{'(c) uncached ms':>17}   verdict (target {target:,.0f} ms)")
    for row in rows:
        worst = max(row["first"], row["rerun"]) * 1000
        print(f"{row['page']:<12}{row['role']:<11}{row['first'] * 1000:>14,.0f}{row['rerun'] * 1000:>14,.0f}"
              f"{row['uncached'] * 1000:>17,.0f}   {'meets' if worst < target else 'MISSES'}")  # fmt: skip
    for name, seconds in baselines.items():
        print(f"baseline: {name:<28}{seconds * 1000:>10,.0f} ms (median)")
    slowest = max(rows, key=lambda row: row["rerun"])
    print(f"slowest rerun: {slowest['page']} ({slowest['role']}) {slowest['rerun'] * 1000:,.0f} ms, "
          f"{slowest['rerun'] / baselines['empty page']:,.1f}x the empty page")


def counts_of(project: Project) -> str:
    with project.open_store() as store:
        tasks, open_tasks = store.conn.execute("SELECT COUNT(*), SUM(status = 'open') FROM tasks").fetchone()
        answers = store.conn.execute("SELECT COUNT(*) FROM annotations").fetchone()[0]
        records = store.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    return f"{records:,} records, {tasks:,} tasks ({open_tasks or 0:,} open), {answers:,} answers"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="demo,large", help="demo, large or both (comma-separated)")
    parser.add_argument("--tasks", type=int, default=100_000, help="answered tasks in the large project")
    parser.add_argument("--open", type=int, default=10_000, help="open correction tasks added to the large project")
    parser.add_argument("--runs", type=int, default=5, help="runs per median")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the projects under this folder and reuse them when there")
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # "missing ScriptRunContext" before a first run
    for size in [part.strip() for part in args.sizes.split(",") if part.strip()]:
        if size not in TARGETS_MS:
            sys.exit(f"--sizes: unknown size {size!r} (demo or large)")
        with tempfile.TemporaryDirectory(prefix="flywheel-bench-app-") as temporary:
            folder = args.keep / f"{size}-{args.tasks}" if args.keep else Path(temporary)
            root = folder / ("demo-project" if size == "demo" else "project")
            started = time.perf_counter()
            accounts = DEMO_ACCOUNTS if size == "demo" else LARGE_ACCOUNTS
            if (root / "flywheel.db").is_file():  # kept from an earlier run (--keep)
                project = Project(root=root, db_path=root / "flywheel.db")
            elif size == "demo":
                folder.mkdir(parents=True, exist_ok=True)
                project = demo_project(folder)
            else:
                folder.mkdir(parents=True, exist_ok=True)
                project = large_project(folder, args.tasks, args.open, args.seed)
            setup = time.perf_counter() - started
            os.environ["FLYWHEEL_PROJECT"] = str(project.root)
            os.environ.pop("FLYWHEEL_DB", None)
            st.cache_data.clear()
            rows = measure_pages(project, accounts, args.runs)
            report(size, counts_of(project), setup, rows, measure_baselines(project, args.runs), args.runs)
    print(f"\ncpu {os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}; "
          "AppTest times the server side of a page run, not the browser")


if __name__ == "__main__":
    main()
