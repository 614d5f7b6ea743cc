"""Model versions: the evaluation reports of a project (`reports/*/report.json`) side by side, and
each adapter's lineage back to its snapshot, the experts' decisions and the production records.

Reads files that `flywheel eval` and `flywheel export` wrote (through their contracts' readers,
`annotate.contracts.report.read_report` and `annotate.contracts.manifest.read_manifest`, and
`read_outputs` here for the answers), and the `datasets` table; computes nothing new about the
models except the live human-evaluation win rate. Older reports lack the keys issue 18 added
(`outcomes`, check `status`, `slices`, `cost`, per-answer `degenerate` and `semantic`): every
reader here treats them as absent.

- **Outcome** per candidate: ship, regression or not enough evidence (older reports: their verdicts).
- **Outputs**: the answers of every variant to each example side by side (`output_table`),
  filtered by set and failure category, optionally ordered by how much the variants disagree.
- **What shipped**: per round, the reports evaluating a snapshot exported during it and the
  candidates they shipped (`shipped_by_round`).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from annotate.contracts.eval_metrics import (
    EVAL_METRICS,
    NOT_ENOUGH_EVIDENCE,
    REGRESSION,
    SHIP,
    STATUS_WORDS,
    check_status,
    outcome_of,
)
from annotate.contracts.manifest import read_manifest
from annotate.contracts.report import REPORT_FILE, read_report
from annotate.errors import EvaluationError, ManifestError
from annotate.project import Project
from annotate.records import last_user_turn
from annotate.store import Store
from annotate.store.datasets import RegisteredSnapshot
from annotate.tasks.human_eval import win_rates

log = logging.getLogger(__name__)

REPORTS = "reports"
OUTPUTS_FILE = "outputs.jsonl"
# The sets of outputs.jsonl as the page offers them; paraphrase groups: production examples with a group.
PRODUCTION, PARAPHRASES, GENERAL, SAFETY = "production", "paraphrase groups", "general", "safety"
FILE_ORDER, CHANGED_MOST = "file order", "changed most"
PAGE_SIZE = 20
ANSWER_KEYS = ("output", "degenerate", "semantic", "chrf", "tokens", "stop")


@dataclass(frozen=True)
class ReportSummary:
    folder: Path
    report: dict

    @property
    def name(self) -> str:
        return self.report.get("report", self.folder.name)

    @property
    def label(self) -> str:
        found = set(outcomes(self.report).values())
        verdict = "gate FAILED" if REGRESSION in found else NOT_ENOUGH_EVIDENCE if found - {SHIP} else "gate passed"
        return f"{self.name} · {self.report.get('created_at', '?')[:16]} · {verdict}"


def list_reports(project: Project) -> tuple[list[ReportSummary], list[str]]:
    """The project's reports, newest first, and a problem line for each unreadable one."""
    found, problems = [], []
    for path in sorted((project.root / REPORTS).glob(f"*/{REPORT_FILE}")):
        try:
            found.append(ReportSummary(path.parent, read_report(path)))
        except EvaluationError as exc:
            problems.append(str(exc))
    found.sort(key=lambda summary: summary.report.get("created_at", ""), reverse=True)
    return found, problems


def comparison_rows(reports: list[ReportSummary]) -> list[dict]:
    """One row per (report, variant): its kind, gate verdict and every metric's value and sample size."""
    rows = []
    for summary in reports:
        outcome = outcomes(summary.report)
        for variant in summary.report.get("variants", []):
            row = {"report": summary.name, "variant": variant["name"], "kind": variant["kind"],
                   "gate": outcome.get(variant["name"], "")}  # fmt: skip
            for key, label, _, _ in EVAL_METRICS:
                metric = variant.get("metrics", {}).get(key) or {}
                row[label] = metric.get("value")
                row[f"{label} (n)"] = metric.get("n")
            rows.append(row)
    return rows


def adapter_lineage(store: Store, project: Project, variant: dict) -> dict:
    """A variant's way back: run → snapshot (and what the store registered) → decisions → annotators."""
    run = variant.get("run") or {}
    snapshot = run.get("snapshot") or {}
    lineage = {"variant": variant["name"], "run_id": run.get("run_id"), "training": run.get("kind"), "method": run.get("method"),
               "steps": run.get("steps"), "init_adapter": run.get("init_adapter"), "snapshot": snapshot.get("name"),
               "snapshot_version": snapshot.get("version"), "manifest_sha256": snapshot.get("manifest_sha256")}  # fmt: skip
    registered = store.dataset(snapshot.get("name"), snapshot.get("version")) if snapshot.get("name") else None
    if registered:
        lineage["exported_at"] = registered.created_at
        lineage["snapshot_path"] = registered.path
        try:
            manifest = read_manifest(project.root / registered.path)
        except ManifestError as exc:
            log.warning("%s", exc)
        else:
            production = [row for row in manifest.rows if row.task_id is not None]
            lineage.update({
                "train_examples": manifest.counts.train, "eval_examples": manifest.counts.eval,
                "tasks": len({row.task_id for row in production}),
                "records": len({record for row in production for record in row.record_ids}),
                "annotators": list(manifest.annotators),
                "mean_agreement": manifest.agreement.mean if manifest.agreement else None,
                "rehearsal": [item.path for item in manifest.rehearsal],
            })  # fmt: skip
    else:
        lineage["note"] = "this snapshot is not registered in this project's store"
    return lineage


# --- the gate's outcome and checks ---------------------------------------------------------------


def outcomes(report: dict) -> dict[str, str]:
    """Candidate -> ship, regression or not enough evidence (an older report's verdicts: ship or regression)."""
    return {candidate: outcome_of(report, candidate) for candidate in (report.get("outcomes") or report.get("verdicts") or {})}


def banner(summary: ReportSummary) -> tuple[str, str]:
    """The report's headline as (level: info, success, warning or error; plain text: names in it are
    the report's, the snapshot's and the variants', so a page escapes the line before showing it)."""
    report = summary.report
    snapshot = report.get("snapshot") or {}
    examples = ((report.get("inputs") or {}).get("production") or {}).get("examples", "?")
    where = f"snapshot {snapshot.get('name')} v{snapshot.get('version')}, {examples} held-out production examples"
    if report.get("shipped"):
        where += f", against the live version {report['shipped']['variant']}"
    by_outcome: dict[str, list[str]] = {}
    for candidate, outcome in outcomes(report).items():
        by_outcome.setdefault(outcome, []).append(candidate)
    if not by_outcome:
        return "info", f"{summary.name}: no candidate adapter ({where})."
    if set(by_outcome) == {SHIP}:
        return "success", f"{summary.name}: every candidate passed the gate ({where})."
    says = {
        REGRESSION: "gate failed for {}",
        NOT_ENOUGH_EVIDENCE: "not enough evidence to ship {}",
        SHIP: "{} passed the gate",
    }
    parts = [says.get(outcome, outcome + ": {}").format(", ".join(names)) for outcome, names in by_outcome.items()]
    return "error" if REGRESSION in by_outcome else "warning", f"{summary.name}: {'; '.join(parts)} ({where})."


def check_rows(report: dict) -> list[dict]:
    """The gate's checks as table rows: status in words, the difference with its interval, sample sizes, why."""
    rows = []
    for check in report.get("checks") or []:
        status = check_status(check)
        rows.append({"variant": check["variant"], "check": check["name"], "status": STATUS_WORDS.get(status, status),
                     "against": check.get("against"), "value": check.get("value"), "reference": check.get("reference"),
                     "delta [interval]": _with_interval(check.get("delta"), check.get("ci_low"), check.get("ci_high"), "{:+.4g}"),
                     "n": check.get("n"), "needed n": check.get("needed_n"), "reason": check.get("reason"),
                     "rule": check.get("rule")})  # fmt: skip
    return rows


def _with_interval(value: float | None, low: float | None, high: float | None, fmt: str = "{:.4g}") -> str | None:
    """A value and its interval as `0.81 [0.77, 0.85]` (the value alone without one; None without a value)."""
    if value is None:
        return None
    return fmt.format(value) + ("" if low is None or high is None else f" [{fmt.format(low)}, {fmt.format(high)}]")


# --- degenerate answers, cost, slices ------------------------------------------------------------


def degenerate_rows(report: dict) -> list[dict]:
    """Per variant with the figure: its share of degenerate answers, and each kind's rate [interval] (count)."""
    rows = []
    for variant in report.get("variants", []):
        metric = (variant.get("metrics") or {}).get("degenerate")
        if not metric:
            continue
        row = {"variant": variant["name"], "answers": metric.get("n"),
               "any kind": None if metric.get("value") is None else f"{metric['value']:.1%}"}  # fmt: skip
        for kind, figure in ((metric.get("detail") or {}).get("by_kind") or {}).items():
            rate = _with_interval(figure.get("rate"), figure.get("ci_low"), figure.get("ci_high"), "{:.1%}")
            row[kind] = f"{rate} ({figure.get('count')})"
        rows.append(row)
    return rows


def cost_rows(report: dict) -> list[dict]:
    """Per variant with any cost figure: answer length, speed, parameters and adapter size."""
    rows = []
    for variant in report.get("variants", []):
        metrics, cost = variant.get("metrics") or {}, variant.get("cost") or {}
        tokens = metrics.get("output_tokens") or {}
        figures = {"output tokens (mean)": tokens.get("value"), "output tokens (p95)": (tokens.get("detail") or {}).get("p95"),
                   "seconds / example": (metrics.get("seconds_per_example") or {}).get("value"),
                   "tokens / second": (metrics.get("tokens_per_second") or {}).get("value"),
                   "parameters": None if cost.get("parameters") is None else f"{cost['parameters']:,}",
                   "adapter size": None if cost.get("adapter_bytes") is None else f"{cost['adapter_bytes'] / 1e6:.1f} MB",
                   "device": cost.get("device")}  # fmt: skip
        if any(value is not None for value in figures.values()):
            rows.append({"variant": variant["name"], **figures})
    return rows


def slice_rows(report: dict) -> list[dict]:
    """Production quality per failure category and prompt cluster: one row per slice, a column per variant."""
    rows: dict[tuple[str, str], dict] = {}
    for variant, by in (report.get("slices") or {}).items():
        for dimension, slices in (by or {}).items():
            for name, figure in (slices or {}).items():
                detail = figure.get("detail") or {}
                shown = _with_interval(figure.get("value"), detail.get("ci_low"), detail.get("ci_high"))
                row = rows.setdefault((dimension, str(name)), {"by": dimension, "slice": str(name)})
                row[variant] = None if shown is None else f"{shown} (n={figure.get('n')})"
    return list(rows.values())


def human_eval_rows(store: Store, report: dict) -> list[dict]:
    """The blind A/B win rates as the experts' current answers in the store have them now (none without tasks)."""
    tasks = (report.get("human_eval") or {}).get("tasks") or []
    return [{"candidate": r.candidate, "baseline": r.baseline,
             "win rate": "n/a (no wins or losses yet)" if r.win_rate is None else f"{r.win_rate:.0%} [{r.ci_low:.0%}, {r.ci_high:.0%}]",
             "judged": f"{r.judged} of {r.pairs} judged", "wins": r.wins, "losses": r.losses, "ties": r.ties,
             "both bad": r.both_bad} for r in (win_rates(store, tasks) if tasks else [])]  # fmt: skip


# --- the answers side by side --------------------------------------------------------------------


def read_outputs(folder: str | Path) -> tuple[list[dict], list[str]]:
    """The answers in a report folder's outputs.jsonl (none without the file), and a problem line naming
    the file and line of each bad line, which is skipped."""
    path = Path(folder) / OUTPUTS_FILE
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        return [], [f"{path}: cannot read the answers ({exc.strerror})"]
    rows, problems = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            problems.append(f"{path}:{number}: not valid JSON ({exc}); line skipped")
            continue
        problem = _bad_answer(row)
        if problem:
            problems.append(f"{path}:{number}: {problem}; line skipped")
        else:
            rows.append(row)
    for problem in problems:
        log.warning("%s", problem)
    return rows, problems


def _bad_answer(row) -> str | None:
    if not isinstance(row, dict):
        return "not a JSON object"
    missing = [key for key in ("variant", "set", "id") if not isinstance(row.get(key), str | int) or row.get(key) == ""]
    if missing:
        return f"{', '.join(missing)} missing"
    if not isinstance(row.get("output", ""), str):
        return "output is not text"
    scores = [key for key in ("semantic", "chrf", "tokens") if not isinstance(row.get(key), int | float | None)]
    if scores or not isinstance(row.get("degenerate"), list | None):
        return f"{', '.join(scores) or 'degenerate'} is not {'a number' if scores else 'a list'}"
    prompt = row.get("prompt", [])
    if not isinstance(prompt, list) or not all(_is_message(m) for m in prompt):
        return "prompt is not a list of messages"
    return None


def _is_message(message) -> bool:
    return (
        isinstance(message, dict) and isinstance(message.get("role"), str) and isinstance(message.get("content"), str)
    )


def variants_of(rows: list[dict]) -> list[str]:
    """The variants that answered, in the file's (the report's) order."""
    return list(dict.fromkeys(row["variant"] for row in rows))


def sets_of(rows: list[dict]) -> list[str]:
    """The sets the answers cover, as `output_table` takes them."""
    present = {row["set"] for row in rows}
    if any(row["set"] == PRODUCTION and row.get("group") for row in rows):
        present.add(PARAPHRASES)
    return [name for name in (PRODUCTION, PARAPHRASES, GENERAL, SAFETY) if name in present]


def categories_of(rows: list[dict]) -> list[str]:
    """The failure categories of the production examples' decisions, sorted."""
    return sorted({c for row in rows if row["set"] == PRODUCTION for c in row.get("categories") or []})


def output_table(rows: list[dict], set_name: str = PRODUCTION, category: str | None = None, order: str = FILE_ORDER,
                 base: str = "base") -> list[dict]:  # fmt: skip
    """One item per example of `set_name`, with every variant's answer (`answers`: variant -> output,
    degenerate kinds, scores). Paraphrase groups keep production examples with a group, a group's
    together; `category` keeps examples whose decision has that failure category. CHANGED_MOST puts
    first the largest `spread` of the variants' semantic scores, then (without scores) the most
    answers that differ from `base`'s (`changed`)."""
    wanted = PRODUCTION if set_name == PARAPHRASES else set_name
    items: dict[str, dict] = {}
    for row in rows:
        if row["set"] != wanted or (set_name == PARAPHRASES and not row.get("group")):
            continue
        if category is not None and category not in (row.get("categories") or []):
            continue
        prompt = row.get("prompt") or []
        item = items.setdefault(str(row["id"]), {
            "id": str(row["id"]), "set": row["set"], "prompt": last_user_turn(prompt), "conversation": prompt,
            "reference": row.get("reference"), "group": row.get("group"), "categories": row.get("categories") or [],
            "cluster": row.get("cluster"), "label": row.get("label"), "answers": {}})  # fmt: skip
        answer = {key: row.get(key) for key in ANSWER_KEYS}
        answer["output"], answer["degenerate"] = answer["output"] or "", answer["degenerate"] or []
        item["answers"][row["variant"]] = answer
    found = list(items.values())
    for item in found:
        scores = [a["semantic"] for a in item["answers"].values() if isinstance(a["semantic"], int | float)]
        item["spread"] = max(scores) - min(scores) if len(scores) > 1 else None
        mine = (item["answers"].get(base) or {}).get("output")
        others = [a["output"] for name, a in item["answers"].items() if name != base]
        item["changed"] = 0 if mine is None else sum(output.strip() != mine.strip() for output in others)
    if set_name == PARAPHRASES:
        found.sort(key=lambda item: str(item["group"]))
    if order == CHANGED_MOST:
        found.sort(key=lambda item: (item["spread"] is None, -(item["spread"] or 0.0), -item["changed"]))
    return found


def page_of(items: list, number: int, size: int = PAGE_SIZE) -> tuple[list, int]:
    """Page `number` (from 1, clamped) of `items`, and how many pages there are (at least 1)."""
    pages = max(1, math.ceil(len(items) / size))
    number = min(max(1, number), pages)
    return items[(number - 1) * size : number * size], pages


# --- what shipped each round ---------------------------------------------------------------------


def shipped_by_round(rounds: list[dict], reports: list[ReportSummary],
                     snapshots: dict[tuple[str, int], RegisteredSnapshot | None]) -> tuple[list[dict], list[str]]:  # fmt: skip
    """Per round (as given, oldest first): the reports evaluating a snapshot exported during it (the
    snapshot's round, else the last round started by its export time) with the candidates they
    shipped; and the names of reports whose snapshot this store does not hold."""
    placed = [{"round": r["name"], "started_at": r["started_at"], "ended_at": r.get("ended_at"), "reports": [], "shipped": []}
              for r in rounds]  # fmt: skip
    by_id = {r["id"]: place for r, place in zip(rounds, placed)}
    unplaced = []
    for summary in sorted(reports, key=lambda s: s.report.get("created_at", "")):
        registered = snapshots.get(_snapshot_key(summary.report))
        place = None
        if registered is not None:
            started = [p for p in placed if p["started_at"] <= registered.created_at]
            place = by_id.get(registered.round_id) or (started[-1] if started else None)
        if place is None:
            unplaced.append(summary.name)
            continue
        outcome = outcomes(summary.report)
        shipped = [candidate for candidate, said in outcome.items() if said == SHIP]
        place["reports"].append({"report": summary.name, "snapshot": f"{registered.name} v{registered.version}",
                                 "outcomes": outcome, "shipped": shipped})  # fmt: skip
        place["shipped"] += [f"{candidate} (report {summary.name})" for candidate in shipped]
    return placed, unplaced


def what_shipped(store: Store, project: Project) -> tuple[list[dict], list[str]]:
    """`shipped_by_round` over the store's rounds and snapshots and the project's reports."""
    reports = list_reports(project)[0]
    keys = {_snapshot_key(summary.report) for summary in reports}
    return shipped_by_round(store.rounds(), reports, {key: store.dataset(*key) for key in keys if key[0] is not None})


def _snapshot_key(report: dict) -> tuple[str | None, int | None]:
    snapshot = report.get("snapshot") or {}
    return snapshot.get("name"), snapshot.get("version")
