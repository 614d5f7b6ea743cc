"""An evaluation's report folder (`reports/NAME/`), written once and read by people and the app.

- `report.json`: every figure with its sample size, each variant's lineage, the gate's checks and
  verdicts, and later the human evaluation (`flywheel eval human`).
- `report.md`: the same as tables, for a pull request or a release note; a figure with a bootstrap
  interval in its detail (chrF, semantic similarity) shows it as `value [low, high]`, and a metric
  `annotate.contracts.eval_metrics` does not name yet is shown under its key.
- `charts/METRIC.png`: each metric per variant.
- `outputs.jsonl`: every answer of every variant (the human evaluation's pairs come from here).

A new report is written into a hidden folder beside it and renamed into place, so a killed run
leaves none half-written; `update_report` rewrites report.json and report.md in place atomically.
report.json's contract (`EvalReport`, `schemas/report.schema.json`) and its one reader
(`read_report`) are in `annotate.contracts.report`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from annotate.contracts.eval_metrics import EVAL_METRICS, formatted, plain_number
from annotate.contracts.report import REPORT_FILE


def read_outputs(folder: str | Path) -> list[dict]:
    with open(Path(folder) / "outputs.jsonl", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def write_report(out: Path, report: dict, outputs: list[dict]) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        with open(staging / "outputs.jsonl", "w", encoding="utf-8") as lines:
            for row in outputs:
                lines.write(json.dumps(row, ensure_ascii=False) + "\n")
        report["charts"] = write_charts(staging / "charts", report)
        _write_text(staging / REPORT_FILE, _report_json(report))
        _write_text(staging / "report.md", render_markdown(report))
        if out.exists() and not any(out.iterdir()):
            out.rmdir()
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def update_report(folder: Path, report: dict) -> None:
    """Rewrite report.json and report.md (each replaced in one step)."""
    for name, text in ((REPORT_FILE, _report_json(report)),
                       ("report.md", render_markdown(report))):  # fmt: skip
        staged = Path(folder) / f".{name}.tmp"
        _write_text(staged, text)
        os.replace(staged, Path(folder) / name)


def _report_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def metric_value(variant: dict, key: str) -> float | None:
    return (variant["metrics"].get(key) or {}).get("value")


def write_charts(folder: Path, report: dict) -> list[str]:
    """One bar chart per metric measured, a bar per variant; returns the files, relative to the report."""
    import matplotlib

    matplotlib.use("Agg")  # no screen
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    names = [variant["name"] for variant in report["variants"]]
    written = []
    for key, title, _, higher in EVAL_METRICS:
        values = [metric_value(variant, key) for variant in report["variants"]]
        if all(value is None for value in values):
            continue
        figure, axes = plt.subplots(figsize=(max(4, 1.3 * len(names)), 3))
        shown = [value if value is not None else 0.0 for value in values]
        colours = ["#9e9e9e" if v["kind"] != "adapter" else "#1f77b4" for v in report["variants"]]
        bars = axes.bar(range(len(names)), shown, color=colours)
        if min(shown) >= 0:
            axes.set_ylim(0, max(shown) * 1.18 or 1.0)  # room for the value labels
        for bar, value in zip(bars, values):
            axes.annotate(formatted(key, value), (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                          va="bottom", fontsize=8)  # fmt: skip
        axes.set_xticks(range(len(names)), names, rotation=15, ha="right", fontsize=8)
        better = {True: " (higher is better)", False: " (lower is better)", None: ""}[higher]
        axes.set_title(title + better, fontsize=9)
        figure.tight_layout()
        path = folder / f"{key}.png"
        figure.savefig(path, dpi=100)
        plt.close(figure)
        written.append(f"charts/{path.name}")
    return written


def render_markdown(report: dict) -> str:
    variants = report["variants"]
    known = {key for key, *_ in EVAL_METRICS}
    extra = sorted({key for v in variants for key in v["metrics"]} - known)
    measured = [(key, title) for key, title in [(key, title) for key, title, _, _ in EVAL_METRICS] + [(k, k) for k in extra]
                if any(metric_value(v, key) is not None for v in variants)]  # fmt: skip
    header = "| metric | " + " | ".join(v["name"] for v in variants) + " |"
    lines = [
        f"# Evaluation {report['report']}",
        "",
        f"Base model `{report['base_model'].get('path') or report['base_model'].get('hub_id')}`, snapshot "
        f"**{report['snapshot']['name']} v{report['snapshot']['version']}** ({report['inputs']['production']['examples']} "
        f"held-out production examples), {report['created_at']}, {report['code_version']}. Greedy decoding, at most "
        f"{report['decoding']['max_new_tokens']} new tokens, the same for every variant.",
        "",
        f"**Gate: {'PASSED' if report['passed'] else 'FAILED'}**"
        + ("" if report["verdicts"] else " (no candidate adapter was evaluated)"),
        "",
        header,
        "| --- |" + " --- |" * len(variants),
    ]
    for key, title in measured:
        cells = []
        for variant in variants:
            metric = variant["metrics"].get(key) or {}
            value = metric.get("value")
            cells.append("n/a" if value is None else f"{_figure(key, value, known)}{_interval(key, metric, known)} "
                         f"(n={metric['n']:,} {metric.get('unit', 'examples')})")  # fmt: skip
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    intervals = [(v["metrics"].get(key) or {}).get("detail") or {} for key, _ in measured for v in variants]
    bootstrap = next((d for d in intervals if d.get("ci_low") is not None), None)
    if bootstrap:
        lines += ["", f"[low, high]: {bootstrap.get('confidence', 0.95):.0%} percentile bootstrap interval over the "
                  f"examples ({bootstrap.get('resamples', 0):,} resamples, seed {bootstrap.get('seed', 0)})."
                  + (" semantic: mean cosine similarity (-1 to 1) of the answers' and the experts' embeddings "
                     "(all-MiniLM-L6-v2)." if any(key == "semantic" for key, _ in measured) else "")]  # fmt: skip
    few_shot = report["inputs"].get("few_shot")
    if few_shot:
        lines += ["", f"retrieval-few-shot: the base with the {few_shot['k']} training examples most similar to each "
                  f"prompt in context ({few_shot['train_examples']:,} training examples to choose from)."]
    if report["checks"]:
        lines += ["", "## Gate checks", "", "| candidate | check | verdict | candidate's | against | rule |", "| --- | --- | --- | --- | --- | --- |"]
        for check in report["checks"]:
            verdict = {True: "pass", False: "**FAIL**", None: "not run"}[check["passed"]]
            lines.append(f"| {check['variant']} | {check['name']} | {verdict} | {plain_number(check['value'])} | "
                         f"{plain_number(check['reference'])} | {check['rule']} |")  # fmt: skip
    human = report.get("human_eval")
    if human and human.get("results"):
        lines += ["", "## Human evaluation (blind A/B)", "", "| candidate | against | judged | wins | losses | ties | both bad | win rate | 95% CI |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
        for row in human["results"]:
            interval = "n/a" if row["ci_low"] is None else f"{row['ci_low']:.0%} to {row['ci_high']:.0%}"
            rate = "n/a" if row["win_rate"] is None else f"{row['win_rate']:.0%}"
            lines.append(f"| {row['candidate']} | {row['baseline']} | {row['judged']} of {row['pairs']} | {row['wins']} | "
                         f"{row['losses']} | {row['ties']} | {row['both_bad']} | {rate} | {interval} |")  # fmt: skip
    elif human:
        lines += ["", f"Human evaluation: {len(human['tasks'])} blind A/B tasks routed; `flywheel eval human {report['report']}` "
                  "computes the win rate once they are answered."]  # fmt: skip
    adapters = [v for v in variants if v["run"]]
    if adapters:
        lines += ["", "## Lineage", ""]
        for variant in adapters:
            run = variant["run"]
            snapshot = run.get("snapshot") or {}
            lines.append(f"- **{variant['name']}**: {run.get('kind', '?').upper()} {run.get('method')}, {run.get('steps')} steps, "
                         f"trained on {snapshot.get('name')} v{snapshot.get('version')} (manifest sha256 "
                         f"{str(snapshot.get('manifest_sha256'))[:12]}…)"
                         + (f", on top of {run['init_adapter']}" if run.get("init_adapter") else ""))  # fmt: skip
    if report.get("charts"):
        lines += ["", "## Charts", ""] + [f"![{path}]({path})" for path in report["charts"]]
    return "\n".join(lines) + "\n"


def _figure(key: str, value: float, known: set[str]) -> str:
    return formatted(key, value) if key in known else plain_number(value)


def _interval(key: str, metric: dict, known: set[str]) -> str:
    """" [low, high]" of a metric with a confidence interval in its detail, else ""."""
    detail = metric.get("detail") or {}
    if detail.get("ci_low") is None or detail.get("ci_high") is None:
        return ""
    return f" [{_figure(key, detail['ci_low'], known)}, {_figure(key, detail['ci_high'], known)}]"
