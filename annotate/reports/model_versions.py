"""Model versions: the evaluation reports of a project (`reports/*/report.json`) side by side, and
each adapter's lineage back to its snapshot, the experts' decisions and the production records.

Reads files that `flywheel eval` and `flywheel export` wrote (through their contracts' readers,
`annotate.contracts.report.read_report` and `annotate.contracts.manifest.read_manifest`), and the
`datasets` table; computes nothing new about the models.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from annotate.contracts.eval_metrics import EVAL_METRICS
from annotate.contracts.manifest import read_manifest
from annotate.contracts.report import REPORT_FILE, read_report
from annotate.errors import EvaluationError, ManifestError
from annotate.project import Project
from annotate.store import Store

log = logging.getLogger(__name__)

REPORTS = "reports"


@dataclass(frozen=True)
class ReportSummary:
    folder: Path
    report: dict

    @property
    def name(self) -> str:
        return self.report.get("report", self.folder.name)

    @property
    def label(self) -> str:
        verdict = "passed" if self.report.get("passed") else "FAILED"
        return f"{self.name} · {self.report.get('created_at', '?')[:16]} · gate {verdict}"


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
        verdicts = summary.report.get("verdicts", {})
        for variant in summary.report.get("variants", []):
            row = {"report": summary.name, "variant": variant["name"], "kind": variant["kind"],
                   "gate": {True: "pass", False: "FAIL"}.get(verdicts.get(variant["name"]), "")}  # fmt: skip
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
