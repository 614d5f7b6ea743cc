"""Benchmark: `flywheel agreement --json` (the full agreement report) against a bare `krippendorff.alpha` in the same run.

    .venv/bin/python bench/agreement.py                   # 100,000 tasks, 5 annotators each, 10% of answers missing
    .venv/bin/python bench/agreement.py --tasks 2000      # a quick look
    .venv/bin/python bench/agreement.py --profile 30      # also the 30 costliest calls of one report (cProfile)

Setup (timed, printed, not part of the figures): a fresh project (`init_project`, default config:
taxonomy, resolution rules, 1,000 bootstrap samples); one record per correction task and two per
preference task, made in-process with `to_row(RecordIn(...))` and `insert_new_records` (no ingest);
`--tasks` tasks through the store's `insert_tasks`, 20% preference (`--preference-share`) and the
rest correction, `required_annotations` = `--per-task`, about 0.5% gold (`--gold`) with their
known answer as `gold_answer`; `--annotators` annotators (`insert_annotator`); then the answers,
written with one `executemany` in one transaction, as the review app stores them (the answer
JSON and its columns, source 'app'):
- each task has a true value (verdict: acceptable 45%, corrected 40%, unusable 15%; choice: a 40%,
  b 40%, tie 12%, both bad 8%), and true failure categories (one or two from the default taxonomy
  when the response is wrong) and severity; each annotator takes the true value with their own
  accuracy (0.62 to 0.78, about 70%) and otherwise another value, likewise the categories and
  severity (none when they find nothing wrong);
- 'corrected' verdicts carry a corrected text of about 100 characters: the task's correction with
  a word or two changed per annotator (similar), except in 5% of tasks where each writes their own
  (divergent: these go to adjudication);
- `--per-task` of the annotators (all of them by default) are drawn for each task, and each of
  those slots is left empty (no row) with probability `--missing` (10%); 1% of answers (`--edits`)
  are an edit chain of two rows (the first answer, then the edit that supersedes it);
- seconds_spent log-normal around 90 s (2% NULL), created_at ISO UTC spread over 6 weeks;
  every task's status is 'done' with `done_annotations` its answer count; no adjudications.

(a) The report in-process, `--repeats` times (3) on a store opened beforehand:
    `agreement_report(store, project.config)` then `.model_dump_json(indent=2)` (what the CLI
    prints). The first run is the process's first (cold: a new connection's empty page cache and
    first-call costs), so each run is printed as well as the median.
    And end to end, as a user runs it: `python -m annotate --project DIR --quiet agreement --json`
    (this checkout's code; the `flywheel` script may import another checkout's) in a child process
    with its stdout to /dev/null, `--repeats` times: interpreter start-up and imports included,
    printed beside the time of `python -m annotate --project DIR agreement --help` (start-up: the
    imports the command needs, no report) and as a ratio over the in-process report, same run.
(b) Baseline: `krippendorff.alpha(reliability_data=M, level_of_measurement="nominal")` on the
    verdict matrix (annotators x correction tasks, codes 0..2, NaN where no answer), built from the
    generated answers beforehand (not timed), `--repeats` times. It must equal the report's verdict
    alpha (checked and printed). Ratio: (a) median over (b) median.
Breakdown: the report by stage, `--repeats` times (median): `answer_frame` (of it the SQL
`store.current_answer_columns`), `store.latest_adjudications`, `resolve` (of it `_split_reasons` and
`_check_corrected_texts`), `report_from_frame` (of it `_coded_fields`, `alpha_with_ci` (of it
`bootstrap_alpha`), `kappa_matrix`, `_correction_field`, `_annotator_rows`), and
`model_dump_json`. The inner timers wrap the module functions for the breakdown runs only
(their names are looked up, so a rename just drops a line); nothing is changed on disk.
With `--profile N`: one more report under cProfile, the top N by cumulative and by own time.

Target (issue text): the report in under 2 s at 100,000 tasks. The verdict is printed as a
statement for the in-process report and for the CLI end to end; nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

import krippendorff
import numpy as np

from annotate.consensus import agreement as agreement_module
from annotate.consensus import reliability as reliability_module
from annotate.consensus import resolution as resolution_module
from annotate.consensus.agreement import agreement_report, report_from_frame
from annotate.consensus.answer_table import answer_frame
from annotate.consensus.resolution import resolve
from annotate.ingest.rows import to_row
from annotate.project import Project, init_project
from annotate.records import CHOICES, VERDICTS, RecordIn
from bench.common import measure_command, runs_line, timed_functions  # noqa: E402 (after the sys.path line)

TARGET_SECONDS = 2.0
VERDICT_WEIGHTS = (0.45, 0.40, 0.15)  # over records.VERDICTS, codes 0..2 as annotate.consensus.agreement codes them
CHOICE_WEIGHTS = (0.40, 0.40, 0.12, 0.08)
CATEGORIES = ("factual_error", "incomplete", "unhelpful", "unwarranted_refusal", "format_violation",
              "policy_violation", "pii_leak", "tone")  # fmt: skip
CATEGORY_WEIGHTS = (0.30, 0.25, 0.15, 0.06, 0.10, 0.04, 0.03, 0.07)
SEVERITIES = ("minor", "major", "critical")
SEVERITY_WEIGHTS = (0.50, 0.35, 0.15)
DIVERGENT_SHARE = 0.05  # correction tasks whose 'corrected' texts differ from annotator to annotator
START = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
SPAN_DAYS = 42  # six weeks

PROMPTS = (
    "How do I export last month's invoices to CSV?", "Can I change the currency on an existing invoice?",
    "Why was my card declined when I upgraded?", "How do I add a second user to my account?",
    "Where do I find the VAT number on a receipt?", "Can I undo a payment I recorded by mistake?",
    "How long does a refund take after I cancel?", "Is there a way to merge two customer records?",
)  # fmt: skip
RESPONSES = (
    "Go to Reports, choose Invoices, pick the date range and press Export.", "You cannot do that.",
    "Declines usually come from the bank; try another card or contact them.", "Open Settings > Team and invite them.",
    "It is printed at the bottom of every receipt, under the totals.", "Payments cannot be changed once recorded.",
)  # fmt: skip
CORRECTION_OPENINGS = (
    "Open Reports > Invoices, set the date range to last month and click Export CSV.",
    "Refunds reach your card within 5 to 10 business days of the cancellation.",
    "Go to Settings > Team, press Invite and enter their email address.",
    "Open the payment, choose Delete payment, and the invoice returns to unpaid.",
    "Open Customers, select both records and choose Merge from the Actions menu.",
    "Edit the invoice, pick the new currency under Details and save it as a draft first.",
    "Your bank declined the charge; check the card's limit or use another card.",
    "The VAT number is shown under the totals, next to your company address.",
)  # fmt: skip
CORRECTION_CLOSINGS = (
    "Let us know if anything is unclear.", "The change applies to new invoices only.",
    "You need the admin role for this.", "This works on every plan.", "It takes effect at once.",
)  # fmt: skip
SWAPS = (("Open", "Go to"), ("choose", "select"), ("press", "click"), ("your", "the"), ("first", "beforehand"),
         ("within", "in"), ("enter", "type"), ("shown", "printed"), ("use", "try"))  # fmt: skip
RATIONALES = ("Wrong menu path.", "Missed half the question.", "Refund window is wrong.", "Too curt.", "Fine as is.")
ANNOTATION_COLUMNS = (
    "id", "task_id", "annotator_id", "kind", "answer", "verdict", "choice", "corrected_response",
    "failure_categories", "severity", "rationale", "seconds_spent", "source", "external_id", "supersedes", "created_at",
)  # fmt: skip


# --- setup ----------------------------------------------------------------------------------------


def build_project(
    workdir: Path, args: argparse.Namespace
) -> tuple[Project, np.ndarray, dict[str, float], dict[str, int]]:
    """The project described in the module docstring; the verdict matrix (annotators x correction
    tasks, NaN where no answer), setup timings and counts."""
    rng = random.Random(args.seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    project = init_project(workdir / "project", name="bench agreement")
    store = project.open_store()
    round_id = store.open_round()["id"]

    n_preference = round(args.tasks * args.preference_share)
    kinds = ["preference"] * n_preference + ["correction"] * (args.tasks - n_preference)
    rng.shuffle(kinds)
    truths = [_truth(kind, rng) for kind in kinds]
    gold = [rng.random() < args.gold for _ in kinds]

    records = []
    for kind in kinds:
        for _ in range(2 if kind == "preference" else 1):
            number = len(records)
            records.append(to_row(
                RecordIn(id=f"bench-{number}", messages=[{"role": "user", "content": f"{rng.choice(PROMPTS)} (#{number})"}],
                         response=rng.choice(RESPONSES)),
                source="bench", round_id=round_id, ingest_id=None,
            ))  # fmt: skip
    with store.transaction():
        store.insert_new_records(records)
    timings["records"] = time.perf_counter() - started

    started = time.perf_counter()
    rows, position = [], 0
    for kind, truth, is_gold in zip(kinds, truths, gold, strict=True):
        record_b = records[position + 1][0] if kind == "preference" else None
        rows.append({
            "kind": kind, "record_id": records[position][0], "record_b_id": record_b, "origin": "bench",
            "priority": rng.random(), "why": "", "cluster": None, "required_annotations": args.per_task,
            "is_gold": int(is_gold), "gold_answer": json.dumps(_answer(kind, truth, truth["text"])) if is_gold else None,
            "route": "app", "round_id": round_id,
        })  # fmt: skip
        position += 2 if kind == "preference" else 1
    task_ids = store.insert_tasks(rows)
    emails = [f"expert{index:02d}@bench.example" for index in range(args.annotators)]
    annotator_ids = [store.insert_annotator(email, "annotator")["id"] for email in emails]
    timings["tasks"] = time.perf_counter() - started

    started = time.perf_counter()
    accuracy = [0.62 + 0.16 * index / max(1, len(emails) - 1) for index in range(len(emails))]
    corrections = [index for index, kind in enumerate(kinds) if kind == "correction"]
    column = {task_index: number for number, task_index in enumerate(corrections)}
    matrix = np.full((len(emails), len(corrections)), np.nan)
    annotations: list[tuple] = []
    for task_index, (task_id, kind, truth) in enumerate(zip(task_ids, kinds, truths, strict=True)):
        day0 = rng.uniform(0, SPAN_DAYS - 3)
        for person in rng.sample(range(len(emails)), args.per_task):
            if rng.random() < args.missing:
                continue
            answer = _annotator_answer(kind, truth, accuracy[person], rng)
            when = START + timedelta(days=day0 + rng.uniform(0, 3))
            base = (task_id, annotator_ids[person], kind)
            if rng.random() < args.edits:  # a first answer, then the edit that supersedes it
                first = _annotator_answer(kind, truth, 0.5, rng)
                annotations.append(_annotation_row(len(annotations) + 1, base, first, None, when, rng))
                supersedes, when = len(annotations), when + timedelta(minutes=rng.uniform(1, 25))
            else:
                supersedes = None
            annotations.append(_annotation_row(len(annotations) + 1, base, answer, supersedes, when, rng))
            if kind == "correction":
                matrix[person, column[task_index]] = VERDICTS.index(answer["verdict"])
    timings["generate"] = time.perf_counter() - started

    started = time.perf_counter()
    marks = ", ".join("?" * len(ANNOTATION_COLUMNS))
    with store.transaction():
        store.db.conn.executemany(
            f"INSERT INTO annotations ({', '.join(ANNOTATION_COLUMNS)}) VALUES ({marks})", annotations
        )
        store.db.conn.execute(
            """
            UPDATE tasks SET status = 'done', done_annotations = (
                SELECT COUNT(*) FROM annotations WHERE annotations.task_id = tasks.id AND supersedes IS NULL)
            """
        )
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    timings["annotations"] = time.perf_counter() - started
    counts = {
        "records": len(records), "tasks": len(kinds), "preference": n_preference, "gold": sum(gold),
        "rows": len(annotations), "answers": int(np.isfinite(matrix).sum()) + _preference_answers(store),
        "edits": store.conn.execute("SELECT COUNT(*) FROM annotations WHERE supersedes IS NOT NULL").fetchone()[0],
    }  # fmt: skip
    store.close()
    return project, matrix, timings, counts


def _preference_answers(store) -> int:
    return store.conn.execute(
        "SELECT COUNT(*) FROM annotations WHERE kind = 'preference' AND supersedes IS NULL"
    ).fetchone()[0]


def _truth(kind: str, rng: random.Random) -> dict:
    """A task's true answer: its value, categories, severity and (for 'corrected') the corrected text."""
    if kind == "correction":
        value = rng.choices(VERDICTS, VERDICT_WEIGHTS)[0]
        wrong = value != "acceptable"
    else:
        value = rng.choices(CHOICES, CHOICE_WEIGHTS)[0]
        wrong = value == "both_bad" or rng.random() < 0.1
    categories = _some_categories(rng) if wrong else []
    text = None
    if value == "corrected":
        text = f"{rng.choice(CORRECTION_OPENINGS)} {rng.choice(CORRECTION_CLOSINGS)}"
    return {
        "value": value, "categories": categories, "severity": rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0] if wrong else None,
        "text": text, "divergent": rng.random() < DIVERGENT_SHARE,
    }  # fmt: skip


def _some_categories(rng: random.Random) -> list[str]:
    first = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
    if rng.random() < 0.75:
        return [first]
    second = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
    return [first] if second == first else [first, second]


def _annotator_answer(kind: str, truth: dict, accuracy: float, rng: random.Random) -> dict:
    """One annotator's answer: the truth with probability `accuracy`, field by field, else another value."""
    values = VERDICTS if kind == "correction" else CHOICES
    value = truth["value"] if rng.random() < accuracy else rng.choice([v for v in values if v != truth["value"]])
    finds_fault = value in ("corrected", "unusable", "both_bad") or (kind == "preference" and rng.random() < 0.1)
    if not finds_fault:
        categories = ["tone"] if rng.random() < 0.03 else []
    elif truth["categories"] and rng.random() < accuracy:
        categories = list(truth["categories"])
    else:
        categories = _some_categories(rng)
    severity = None
    if categories:
        severity = (
            truth["severity"]
            if truth["severity"] and rng.random() < accuracy
            else rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0]
        )
    text = None
    if value == "corrected":
        if truth["text"] and not truth["divergent"]:
            text = _variant(truth["text"], rng)
        else:
            text = f"{rng.choice(CORRECTION_OPENINGS)} {rng.choice(CORRECTION_CLOSINGS)}"
    answer = {"value": value, "categories": categories, "severity": severity, "text": text}
    return _answer(kind, answer, text)


def _variant(text: str, rng: random.Random) -> str:
    """The same correction in an annotator's words: most often as it is, else a word or two swapped."""
    for old, new in rng.sample(SWAPS, rng.choice((0, 0, 1, 2))):
        text = text.replace(old, new, 1)
    return text


def _answer(kind: str, truth: dict, text: str | None) -> dict:
    """An answer dict shaped as CorrectionAnswer / PreferenceAnswer dump it (their field order)."""
    answer = {
        "failure_categories": truth["categories"],
        "severity": truth["severity"],
        "rationale": "",
        "seconds_spent": None,
    }
    if kind == "correction":
        return {**answer, "kind": "correction", "verdict": truth["value"], "corrected_response": text}
    return {**answer, "kind": "preference", "choice": truth["value"], "better_response": None}


def _annotation_row(
    row_id: int, base: tuple, answer: dict, supersedes: int | None, when: datetime, rng: random.Random
) -> tuple:
    task_id, annotator_id, kind = base
    answer = {**answer, "rationale": rng.choice(RATIONALES) if rng.random() < 0.3 else ""}
    answer["seconds_spent"] = None if rng.random() < 0.02 else round(rng.lognormvariate(4.5, 0.6), 1)
    correction = kind == "correction"
    return (
        row_id, task_id, annotator_id, kind, json.dumps(answer), answer["verdict"] if correction else None,
        None if correction else answer["choice"], answer["corrected_response"] if correction else None,
        json.dumps(answer["failure_categories"]), answer["severity"], answer["rationale"], answer["seconds_spent"],
        "app", None, supersedes, when.isoformat(timespec="milliseconds"),
    )  # fmt: skip


# --- measurements ---------------------------------------------------------------------------------


def measure_report(project: Project, repeats: int) -> tuple[list[float], object, int]:
    """(a) in-process: seconds per run, the last report and the size of its JSON."""
    times, report, size = [], None, 0
    with project.open_store() as store:
        for _ in range(repeats):
            started = time.perf_counter()
            report = agreement_report(store, project.config)
            text = report.model_dump_json(indent=2)
            times.append(time.perf_counter() - started)
            size = len(text)
    return times, report, size




def measure_baseline(matrix: np.ndarray, repeats: int) -> tuple[list[float], float]:
    times, alpha = [], float("nan")
    for _ in range(repeats):
        started = time.perf_counter()
        alpha = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
        times.append(time.perf_counter() - started)
    return times, float(alpha)


# (label, indent) in print order: stages of agreement_report, then what inside them is timed.
STAGES = (
    ("answer_frame", 0), ("store.current_answer_columns (SQL)", 1), ("latest_adjudications", 0), ("resolve", 0),
    ("_split_reasons", 1), ("_check_corrected_texts", 1), ("report_from_frame", 0), ("_coded_fields", 1),
    ("alpha_with_ci", 1), ("bootstrap_alpha", 2), ("kappa_matrix", 1), ("_correction_field", 1),
    ("_annotator_rows", 1), ("model_dump_json", 0),
)  # fmt: skip


def measure_stages(project: Project, repeats: int) -> tuple[list[dict[str, float]], int]:
    """The report stage by stage, with inner timers (breakdown runs only); per run {stage: seconds}; frame rows."""
    runs, rows = [], 0
    with project.open_store() as store:
        for _ in range(repeats):
            totals: dict[str, float] = defaultdict(float)
            with (
                timed_functions(store, ("current_answer_columns",), totals),
                timed_functions(resolution_module, ("_split_reasons", "_check_corrected_texts"), totals),
                timed_functions(
                    agreement_module,
                    ("_coded_fields", "alpha_with_ci", "kappa_matrix", "_correction_field", "_annotator_rows"),
                    totals,
                ),  # fmt: skip
                timed_functions(reliability_module, ("bootstrap_alpha",), totals),
            ):
                started = time.perf_counter()
                frame = answer_frame(store)
                totals["answer_frame"] = time.perf_counter() - started
                started = time.perf_counter()
                adjudications = store.latest_adjudications()
                totals["latest_adjudications"] = time.perf_counter() - started
                started = time.perf_counter()
                resolution = resolve(frame, project.config.resolution, adjudications)
                totals["resolve"] = time.perf_counter() - started
                started = time.perf_counter()
                report = report_from_frame(frame, resolution, project.config)
                totals["report_from_frame"] = time.perf_counter() - started
                started = time.perf_counter()
                report.model_dump_json(indent=2)
                totals["model_dump_json"] = time.perf_counter() - started
            totals["store.current_answer_columns (SQL)"] = totals.pop("current_answer_columns", 0.0)
            runs.append(dict(totals))
            rows = len(frame)
    return runs, rows


def profile_report(project: Project, top: int) -> str:
    """One report under cProfile: the top `top` by cumulative time, then by own time."""
    profiler = cProfile.Profile()
    with project.open_store() as store:
        profiler.enable()
        agreement_report(store, project.config).model_dump_json(indent=2)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def median(values: list[float]) -> float:
    return statistics.median(values)




# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000, help="tasks (correction and preference)")
    parser.add_argument("--annotators", type=int, default=5, help="annotators in the project")
    parser.add_argument("--per-task", type=int, default=5, help="annotators drawn for each task (required_annotations)")
    parser.add_argument("--missing", type=float, default=0.10, help="share of (task, annotator) slots with no answer")
    parser.add_argument("--preference-share", type=float, default=0.20)
    parser.add_argument("--gold", type=float, default=0.005, help="share of tasks that are gold items")
    parser.add_argument(
        "--edits", type=float, default=0.01, help="share of answers stored as an edit chain of two rows"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement (the median is the figure)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="also profile one report: top N calls")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not 1 <= args.per_task <= args.annotators:
        parser.error("--per-task must be between 1 and --annotators")

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="flywheel-bench-") as folder:
        project, matrix, setup, counts = build_project(Path(folder), args)
        size_mb = project.db_path.stat().st_size / 1e6

        report_times, report, json_chars = measure_report(project, args.repeats)
        flywheel = [sys.executable, "-m", "annotate", "--project", str(project.root)]
        cli_times = measure_command([*flywheel, "--quiet", "agreement", "--json"], args.repeats)
        startup_times = measure_command([*flywheel, "agreement", "--help"], args.repeats)
        baseline_times, baseline_alpha = measure_baseline(matrix, args.repeats)
        stage_runs, frame_rows = measure_stages(project, args.repeats)
        profile = profile_report(project, args.profile) if args.profile else ""
    load_after = os.getloadavg()

    report_s, cli_s, baseline_s = median(report_times), median(cli_times), median(baseline_times)
    verdict_alpha = report.fields["verdict"].alpha
    same = verdict_alpha is not None and abs(verdict_alpha - baseline_alpha) < 1e-9
    stage_total = median([sum(run.get(name, 0.0) for name, indent in STAGES if indent == 0) for run in stage_runs])

    print(f"tasks                {counts['tasks']:,} ({counts['tasks'] - counts['preference']:,} correction, "
          f"{counts['preference']:,} preference, {counts['gold']:,} gold), {args.annotators} annotators, "
          f"{args.per_task} per task, {args.missing:.0%} of slots missing")  # fmt: skip
    print(f"answers              {counts['answers']:,} current ({counts['rows']:,} rows, {counts['edits']:,} edits); "
          f"answer table {frame_rows:,} rows; report covers {report.n_tasks:,} tasks with 2+ answers")  # fmt: skip
    print(f"setup                records {setup['records']:.1f} s ({counts['records']:,}), insert_tasks + annotators "
          f"{setup['tasks']:.1f} s, generate answers {setup['generate']:.1f} s, insert answers {setup['annotations']:.1f} s")  # fmt: skip
    print(f"database file        {size_mb:,.0f} MB; report JSON {json_chars / 1e3:,.0f} kB")
    print(f"(a) report           {runs_line(report_times)}   agreement_report + model_dump_json, in-process")
    print(f"(a) CLI              {runs_line(cli_times)}   python -m annotate --quiet agreement --json > /dev/null")
    print(f"    start-up         {runs_line(startup_times)}   python -m annotate agreement --help (in the CLI's time)")
    print(f"    CLI / report     {cli_s / report_s:.2f} (median over median, same run): start-up and output "
          f"{cli_s - report_s:.2f} s over the in-process report")
    print(
        f"(b) krippendorff     {runs_line(baseline_times)}   alpha(reliability_data={matrix.shape[0]}x{matrix.shape[1]:,}, nominal)"
    )
    print(
        f"ratio (a)/(b)        report {report_s / baseline_s:,.0f}x, CLI {cli_s / baseline_s:,.0f}x   (median over median)"
    )
    print(
        f"verdict alpha        report {verdict_alpha}, krippendorff {baseline_alpha:.12f}: {'equal' if same else 'DIFFERENT'}"
    )
    for label, seconds in (("report", report_s), ("CLI", cli_s)):
        verdict = "meets" if seconds < TARGET_SECONDS else "misses"
        print(f"target ({label:6s})      {seconds:.2f} s {verdict} the target of under {TARGET_SECONDS:.0f} s")
    print(f"breakdown            median of {args.repeats} runs with inner timers (stages sum to {stage_total:.3f} s):")
    for name, indent in STAGES:
        values = [run[name] for run in stage_runs if name in run]
        if not values:
            continue
        seconds = median(values)
        print(f"  {'  ' * indent}{name:<{30 - 2 * indent}} {seconds:8.3f} s  {seconds / stage_total:6.1%}")
    print(f"cpu                  {os.cpu_count()} cores, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
          f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, numpy {np.__version__}")  # fmt: skip
    if profile:
        print(f"\ncProfile of one more in-process report (top {args.profile}, by cumulative then by own time):")
        print(profile)


if __name__ == "__main__":
    main()
