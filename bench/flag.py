"""Benchmark: `flywheel flag` without model scoring, against a bare scan of the same records in the same run.

    .venv/bin/python bench/flag.py                    # 100,000 records
    .venv/bin/python bench/flag.py --records 20000    # a quick look
    .venv/bin/python bench/flag.py --no-subprocess    # (a) in-process instead of `flywheel flag`
    .venv/bin/python bench/flag.py --n 1000000 --no-alone   # the issue's size, without (b)

Setup (timed, printed, not part of the figures): a fresh project (`init_project`), `--records`
records from `generate_records` written to JSONL and ingested with `annotate.ingest.ingest_files`
(the code path of `flywheel ingest`). No `flywheel score`: the records carry the log's own
logprobs where the generator gives them and there are no model signals. A copy of the database
is kept as it stands after the ingest, unflagged.

(a) `flywheel flag` as a user runs it, every flagger with a weight above zero (the default
    config): `python -m annotate --project DIR --quiet flag` in a child process on the ingested
    project; its wall time, process start and imports included (the time of
    `python -m annotate --help` is printed beside it so they can be told apart). Without the
    `flag` command (or with --no-subprocess) `annotate.flagging.run_flaggers(store, config, root)`
    is timed in-process instead, and a line says so.
(b) Each flagger alone, in-process, each on its own fresh copy of the unflagged database:
    `run_flaggers(store, config, root, only=[reason], recheck=True)`. A per-record flagger's time
    includes reading every record in chunks and writing its flags, so these add up to more than (a).
    The PII engine (Presidio on a blank spaCy pipeline) is built once per process, before (b),
    and its build time printed apart; (a) includes it.
(c) Baseline: a bare scan of the same records on the unflagged copy, one plain sqlite3
    connection: `SELECT id, messages, response, feedback_thumbs, feedback_rating,
    feedback_comment, logprob_mean, logprob_min, group_id FROM records` with `json.loads(messages)`
    per row, the least any flagger that looks at the conversation must do.
(d) Re-run after 1% new records: after (a), `--rerun-share` (1%) more records (the generator with
    another seed, ids and group ids renamed so they are new) are ingested into the flagged project
    and `flywheel flag` runs again the way (a) ran; its time is printed as a share of (a)'s.
    Target (issue 23): at most 5%.
Ratios: (a)/(c) and each (b)/(c), printed as "x slower than reading the records". Also printed:
flags by reason from `store.flag_counts()` after (a), and the preference candidates it found.

Target (issue 23): (a) at least 20,000 records/s at 1,000,000 records, the PII engine start
included; (d) at most 5% of (a). Nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

from annotate.flagging import GROUP_FLAGGER, RECORD_FLAGGERS, run_flaggers
from annotate.project import Project
from annotate.store import Store
from annotate.text.pii import find_personal_data
from annotate.ingest import ingest_files
from annotate.sample.generator import generate_records
from annotate.sample.write import write_jsonl
from bench.common import ingested_project

FLAGGERS = (*RECORD_FLAGGERS, GROUP_FLAGGER)  # negative_feedback, low_confidence, format, pii, refusal, tool_call, inconsistency
SCAN = (
    "SELECT id, messages, response, feedback_thumbs, feedback_rating, feedback_comment, logprob_mean, logprob_min, "
    "group_id FROM records"
)


def build_project(workdir: Path, n_records: int, seed: int) -> tuple[Project, Path, dict]:
    """The ingested project, an unflagged copy of its database, and the setup timings."""
    project, timings = ingested_project(workdir, n_records, seed)
    pristine = workdir / "unflagged.db"
    shutil.copyfile(project.db_path, pristine)
    return project, pristine, timings


def flag_command_exists() -> bool:
    command = [sys.executable, "-m", "annotate", "flag", "--help"]
    return subprocess.run(command, capture_output=True, text=True).returncode == 0


def seconds_of_cli_start() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "annotate", "--help"], capture_output=True, check=True)
    return time.perf_counter() - started


def run_flag_command(project: Project) -> float:
    command = [sys.executable, "-m", "annotate", "--project", str(project.root), "--quiet", "flag"]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"flywheel flag failed with exit {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return seconds


def run_in_process(project: Project) -> float:
    with project.open_store() as store:
        started = time.perf_counter()
        run_flaggers(store, project.config, project.root)
        return time.perf_counter() - started


def ingest_more(project: Project, workdir: Path, n_records: int, seed: int) -> float:
    """Ingest `n_records` new records (another seed; ids and group ids renamed so none repeats); seconds."""
    def renamed(record: dict) -> dict:
        record["id"] = f"more-{record['id']}"
        if record.get("group"):
            record["group"] = f"more-{record['group']}"
        return record

    logs = workdir / "more.jsonl"
    write_jsonl(logs, (renamed(record) for record in generate_records(n_records, seed=seed)))
    with project.open_store() as store:
        started = time.perf_counter()
        summary = ingest_files(store, [logs], limits=project.config.ingest)
        seconds = time.perf_counter() - started
    if summary.exit_code != 0:
        sys.exit(f"ingest of the new records failed (exit {summary.exit_code}): {summary.files}")
    return seconds


def run_one_flagger(project: Project, pristine: Path, workdir: Path, reason: str) -> tuple[float, int]:
    """(seconds, flags written) of one flagger on a fresh copy of the unflagged database."""
    copy = workdir / f"only-{reason}.db"
    shutil.copyfile(pristine, copy)
    with Store(copy) as store:
        started = time.perf_counter()
        summary = run_flaggers(store, project.config, project.root, only=[reason], recheck=True)
        seconds = time.perf_counter() - started
    copy.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    return seconds, summary.flags[reason]


def seconds_of_pii_engine(project: Project) -> float:
    """Build the PII engine (once per process) on its own, so that (b) pii does not count it."""
    started = time.perf_counter()
    find_personal_data("write to jo@example.com or call 555 010 4477", project.config.pii.entities)
    return time.perf_counter() - started


def run_scan(pristine: Path) -> tuple[float, int]:
    conn = sqlite3.connect(pristine)
    started = time.perf_counter()
    count = 0
    for row in conn.execute(SCAN):
        json.loads(row[1])
        count += 1
    seconds = time.perf_counter() - started
    conn.close()
    return seconds, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", "--n", type=int, default=100_000, help="records to generate, ingest and flag")
    parser.add_argument("--rerun-share", type=float, default=0.01, help="share of new records before the re-run (d); 0: none")
    parser.add_argument("--alone", action=argparse.BooleanOptionalAction, default=True,
                        help="time (b), each flagger alone on its own copy (doubles the time at 1,000,000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--subprocess", action=argparse.BooleanOptionalAction, default=True,
        help="time (a) as `flywheel flag` in a child process (default; falls back in-process when the command is missing)",
    )  # fmt: skip
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="flywheel-bench-") as folder:
        workdir = Path(folder)
        project, pristine, setup = build_project(workdir, args.records, args.seed)
        size_mb = pristine.stat().st_size / 1e6

        note = ""
        subprocess_run = args.subprocess and flag_command_exists()
        run = run_flag_command if subprocess_run else run_in_process
        if subprocess_run:
            flag_seconds = run(project)
            start_seconds = seconds_of_cli_start()
            how = f"`flywheel flag` subprocess, of which ~{start_seconds:.1f} s process start and CLI imports"
        else:
            note = "(no `flywheel flag` command found; timed run_flaggers in-process instead)" if args.subprocess else ""
            flag_seconds = run(project)
            how = "run_flaggers in-process"
        with Store(project.db_path) as store:
            counts = store.flag_counts()
            flagged = store.count_flagged_records()
            pairs = store.preference_candidate_counts()

        more = round(args.records * args.rerun_share)
        if more:
            more_ingest_seconds = ingest_more(project, workdir, more, args.seed + 1)
            rerun_seconds = run(project)

        pii_engine_seconds = seconds_of_pii_engine(project)  # zero when (a) ran in this process
        alone = {reason: run_one_flagger(project, pristine, workdir, reason) for reason in FLAGGERS} if args.alone else {}
        scan_seconds, scanned = run_scan(pristine)

    print(f"records                 {args.records:,} ({size_mb:.0f} MB database)")
    print(f"setup                   generate+write {setup['generate']:.1f} s, ingest_files {setup['ingest']:.1f} s")
    if note:
        print(f"note                    {note}")
    print(f"(a) flywheel flag       {args.records / flag_seconds:,.0f} records/s ({flag_seconds:.1f} s; {how})")
    for reason, (seconds, made) in alone.items():
        label = f"(b) {reason}"
        print(f"{label:<23} {args.records / seconds:,.0f} records/s ({seconds:.2f} s, {made:,} flags), "
              f"{seconds / scan_seconds:.1f}x slower than reading the records")
    print(f"(b) pii engine build    {pii_engine_seconds:.2f} s (once per process, before (b); counted in (a), not in (b) pii)")
    if alone:
        print(f"(b) sum of flaggers     {sum(seconds for seconds, _ in alone.values()):.1f} s (each reads the records on its own)")
    print(f"(c) bare scan           {scanned / scan_seconds:,.0f} records/s ({scan_seconds:.2f} s, json.loads of messages per row)")
    print(f"ratio (a)/(c)           {flag_seconds / scan_seconds:.1f}x slower than reading the records")
    if more:
        print(f"(d) re-run, {more:,} new  {rerun_seconds:.1f} s = {rerun_seconds / flag_seconds:.1%} of (a) "
              f"(target at most 5%; ingest of the new records {more_ingest_seconds:.1f} s, not counted)")
    print("flags by reason         " + ", ".join(f"{row['reason']} {row['records']:,} (mean {row['mean_score']})" for row in counts))
    print(f"flagged records         {flagged:,} of {args.records:,} ({flagged / args.records:.1%})")
    print("preference pairs        " + (", ".join(f"{origin} {n:,}" for origin, n in sorted(pairs.items())) or "none"))
    print(f"cpu                     {os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")


if __name__ == "__main__":
    main()
