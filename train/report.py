"""An evaluation's report folder (`reports/NAME/`), written once and read by people and the app.

- `report.json`: every figure with its sample size, each variant's lineage, the gate's checks and
  verdicts, and later the human evaluation (`flywheel eval human`).
- `report.md`: the same as tables, for a pull request or a release note; a figure with a bootstrap
  interval in its detail (chrF, semantic similarity) shows it as `value [low, high]`, and a metric
  `annotate.contracts.eval_metrics` does not name yet is shown under its key.
- a "Tool use" section where references call tools: each variant's figures as counts with their
  Wilson intervals, and the tool-call examples one by one, the experts' calls beside each variant's.
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

from annotate.contracts.eval_metrics import (
    EVAL_METRICS,
    SCALE_TOP,
    check_cells,
    distinct_digits,
    formatted,
    outcome_of,
    plain_number,
)
from annotate.records import last_user_turn
from annotate.text.degenerate import KINDS
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
        _write_text(staging / "report.md", render_markdown(report, outputs))
        if out.exists() and not any(out.iterdir()):
            out.rmdir()
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def update_report(folder: Path, report: dict) -> None:
    """Rewrite report.json and report.md (each replaced in one step)."""
    outputs = read_outputs(folder) if (Path(folder) / "outputs.jsonl").is_file() else None
    for name, text in ((REPORT_FILE, _report_json(report)),
                       ("report.md", render_markdown(report, outputs))):  # fmt: skip
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
        lows, highs = _intervals(report["variants"], key, shown)
        if any(low != value or high != value for low, high, value in zip(lows, highs, shown)):
            axes.errorbar(range(len(names)), shown, yerr=[[v - lo for v, lo in zip(shown, lows)], [hi - v for v, hi in zip(shown, highs)]],
                          fmt="none", ecolor="#333333", capsize=4, linewidth=1)  # fmt: skip
        if min(shown + lows) >= 0:  # from 0, to the top of the metric's scale where it has one
            top = max(shown + highs)
            axes.set_ylim(0, max(SCALE_TOP.get(key, 0.0), top * 1.18) or 1.0)
        extra = distinct_digits(key, values)
        for bar, value, high in zip(bars, values, highs):
            axes.annotate(formatted(key, value, extra), (bar.get_x() + bar.get_width() / 2, max(bar.get_height(), high)),
                          ha="center", va="bottom", fontsize=8)  # fmt: skip
        axes.set_xticks(range(len(names)), names, rotation=15, ha="right", fontsize=8)
        better = {True: " (higher is better)", False: " (lower is better)", None: ""}[higher]
        axes.set_title(title + better, fontsize=9)
        figure.tight_layout()
        path = folder / f"{key}.png"
        figure.savefig(path, dpi=100)
        plt.close(figure)
        written.append(f"charts/{path.name}")
    return written


def _intervals(variants: list[dict], key: str, shown: list[float]) -> tuple[list[float], list[float]]:
    """Each variant's interval of a metric (its value where it has none)."""
    lows, highs = [], []
    for variant, value in zip(variants, shown):
        detail = (variant["metrics"].get(key) or {}).get("detail") or {}
        lows.append(detail["ci_low"] if detail.get("ci_low") is not None else value)
        highs.append(detail["ci_high"] if detail.get("ci_high") is not None else value)
    return lows, highs


def render_markdown(report: dict, outputs: list[dict] | None = None) -> str:
    variants = report["variants"]
    known = {key for key, *_ in EVAL_METRICS}
    extra = sorted({key for v in variants for key in v["metrics"]} - known)
    measured = [(key, title) for key, title in [(key, title) for key, title, _, _ in EVAL_METRICS] + [(k, k) for k in extra]
                if any(metric_value(v, key) is not None for v in variants)]  # fmt: skip
    header = "| metric | " + " | ".join(v["name"] for v in variants) + " |"
    outcomes = {name: outcome_of(report, name) for name in report["verdicts"]}
    lines = [
        f"# Evaluation {report['report']}",
        "",
        f"Base model `{report['base_model'].get('path') or report['base_model'].get('hub_id')}`, snapshot "
        f"**{report['snapshot']['name']} v{report['snapshot']['version']}** ({report['inputs']['production']['examples']} "
        f"held-out production examples), {report['created_at']}, {report['code_version']}. Greedy decoding, at most "
        f"{report['decoding']['max_new_tokens']} new tokens, the same for every variant.",
        "",
        f"**Gate: {'PASSED' if report['passed'] else 'FAILED'}**"
        + (": " + ", ".join(f"{name} {outcome}" for name, outcome in outcomes.items()) if outcomes
           else " (no candidate adapter was evaluated)"),
        "",
        header,
        "| --- |" + " --- |" * len(variants),
    ]  # fmt: skip
    for key, title in measured:
        metrics = [variant["metrics"].get(key) or {} for variant in variants]
        digits = distinct_digits(key, [m.get("value") for m in metrics])
        cells = ["n/a" if m.get("value") is None else f"{formatted(key, m['value'], digits)}{_interval(key, m, digits)} "
                 f"(n={m['n']:,} {m.get('unit', 'examples')})" for m in metrics]  # fmt: skip
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    details = [(v["metrics"].get(key) or {}).get("detail") or {} for key, _ in measured for v in variants]
    bootstrap = next((d for d in details if d.get("resamples")), None)
    if bootstrap:
        lines += ["", f"[low, high]: {bootstrap.get('confidence', 0.95):.0%} interval: percentile bootstrap over the "
                  f"examples for scores ({bootstrap.get('resamples', 0):,} resamples, seed {bootstrap.get('seed', 0)}), "
                  "Wilson score for rates."
                  + (" semantic: mean cosine similarity (-1 to 1) of the answers' and the experts' embeddings "
                     "(all-MiniLM-L6-v2)." if any(key == "semantic" for key, _ in measured) else "")]  # fmt: skip
    few_shot = report["inputs"].get("few_shot")
    if few_shot:
        lines += ["", f"retrieval-few-shot: the base with the {few_shot['k']} training examples most similar to each "
                  f"prompt in context ({few_shot['train_examples']:,} training examples to choose from)."]
    if report.get("shipped"):
        lines += ["", f"Shipped version (live now): **{report['shipped']['variant']}**, from `{report['shipped']['source']}`."]
    lines += _degenerate_lines(variants) + _cost_lines(variants) + _tool_lines(variants, outputs)
    if report["checks"]:
        columns = ["status", "candidate", "against", "delta [95% CI]", "n", "would need", "rule", "reason"]
        lines += ["", "## Gate checks", "", "A check passes when its whole 95% interval clears the threshold, fails when "
                  "the whole interval is on the wrong side, and is inconclusive otherwise.", "",
                  "| candidate | check | " + " | ".join(columns) + " |", "| --- | --- |" + " --- |" * len(columns)]  # fmt: skip
        for check in report["checks"]:
            cells = check_cells(check)
            if cells["status"] == "FAIL":
                cells["status"] = "**FAIL**"
            lines.append(f"| {check['variant']} | {check['name']} | " + " | ".join(cells[c].replace("|", "/") for c in columns) + " |")
    lines += _slice_lines(report)
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
    if outputs:
        lines += _sample_lines(outputs, [v["name"] for v in variants])
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


def _degenerate_lines(variants: list[dict]) -> list[str]:
    by_variant = {v["name"]: ((v["metrics"].get("degenerate") or {}).get("detail") or {}).get("by_kind") for v in variants}
    if not any(by_variant.values()):
        return []
    lines = ["", "## Degenerate answers", "", "| variant | answers | " + " | ".join(KINDS) + " |", "| --- | --- |" + " --- |" * len(KINDS)]
    for variant in variants:
        kinds = by_variant[variant["name"]]
        if kinds:
            n = variant["metrics"]["degenerate"]["n"]
            lines.append(f"| {variant['name']} | {n} | " + " | ".join(f"{kinds[k]['count']} ({kinds[k]['count'] / n:.0%})" if n else "-"
                                                                       for k in KINDS) + " |")  # fmt: skip
    return lines


def _cost_lines(variants: list[dict]) -> list[str]:
    if not any(v["metrics"].get("output_tokens") for v in variants):
        return []
    lines = ["", "## Cost", "", "| variant | parameters | adapter size | output tokens (mean / p95) | s per example | tokens/s | device |",
             "| --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for variant in variants:
        metrics, cost = variant["metrics"], variant.get("cost") or {}
        tokens = metrics.get("output_tokens") or {}
        size = cost.get("adapter_bytes")
        lines.append(f"| {variant['name']} | {cost.get('parameters', 0):,} | {'-' if size is None else f'{size / 1e6:.1f} MB'} | "
                     f"{plain_number(tokens.get('value'))} / {plain_number((tokens.get('detail') or {}).get('p95'))} | "
                     f"{plain_number((metrics.get('seconds_per_example') or {}).get('value'))} | "
                     f"{plain_number((metrics.get('tokens_per_second') or {}).get('value'))} | {cost.get('device', '?')} |")  # fmt: skip
    return lines


def _slice_lines(report: dict) -> list[str]:
    slices = report.get("slices") or {}
    names = list(slices)
    families = sorted({(family, label) for name in names for family, labels in slices[name].items() for label in labels})
    if not families:
        return []
    metric = report["gate_settings"].get("quality_metric", "semantic")
    lines = ["", f"## Slices ({metric}, mean [95% CI] (n))", "", "| slice | " + " | ".join(names) + " |", "| --- |" + " --- |" * len(names)]
    for family, label in families:
        cells = []
        for name in names:
            m = slices[name].get(family, {}).get(label) or {}
            cells.append("n/a" if m.get("value") is None else f"{m['value']:.3f}{_interval(metric, m, 0)} ({m['n']})")
        lines.append(f"| {family} {label} | " + " | ".join(cells) + " |")
    return lines


TOOL_FIGURES = (("tool_call_rate", "called where the experts called"),
                ("unexpected_tool_call_rate", "called where the experts answered in text"),
                ("function_name_accuracy", "function names right"), ("argument_exact_match", "arguments exact"),
                ("argument_match", "arguments matched"))  # fmt: skip
TOOL_EXAMPLES_SHOWN = 10


def _tool_lines(variants: list[dict], outputs: list[dict] | None) -> list[str]:
    """Tool use, where references call tools: each figure as "k of n, rate [low, high]", and the
    tool-call examples with the experts' calls beside each variant's."""
    if not any(v["metrics"].get("tool_call_rate") for v in variants):
        return []
    lines = ["", "## Tool use", "", "Calls read from `<tool_call>` blocks; arguments compared as JSON values (key order and "
             "spacing aside). 95% Wilson intervals.", "",
             "| variant | " + " | ".join(title for _, title in TOOL_FIGURES) + " |", "| --- |" + " --- |" * len(TOOL_FIGURES)]  # fmt: skip
    for variant in variants:
        lines.append(f"| {variant['name']} | " + " | ".join(_count_cell(variant["metrics"].get(key) or {}) for key, _ in TOOL_FIGURES) + " |")
    rows = [row for row in outputs or [] if row["set"] == "production" and (row.get("tool_calls") or {}).get("reference")]
    by_id = production_by_example(rows)
    if by_id:
        lines += ["", f"### Tool calls, example by example ({min(len(by_id), TOOL_EXAMPLES_SHOWN)} of {len(by_id)}; "
                  "every answer is in outputs.jsonl)"]  # fmt: skip
        for example_id in list(by_id)[:TOOL_EXAMPLES_SHOWN]:
            per_variant = by_id[example_id]
            first = next(iter(per_variant.values()))
            lines += ["", f"**{example_id}**: {_quote(last_user_turn(first['prompt']))}", "",
                      f"- *experts*: {_calls_text(first['tool_calls']['reference'])}"]  # fmt: skip
            for variant in variants:
                if variant["name"] in per_variant:
                    row = per_variant[variant["name"]]
                    lines.append(f"- *{variant['name']}*: {_calls_text(row['tool_calls']['output']) or _quote(row['output']) or '(empty)'}"
                                 f" ({_call_verdict(row['tool_calls'])})")  # fmt: skip
    return lines


def _count_cell(metric: dict) -> str:
    if metric.get("value") is None:
        return "n/a"
    detail = metric.get("detail") or {}
    return (f"{round(metric['value'] * metric['n'])} of {metric['n']} {metric.get('unit', 'examples')}, {metric['value']:.0%} "
            f"[{detail.get('ci_low', 0):.0%}, {detail.get('ci_high', 1):.0%}]")  # fmt: skip


def _calls_text(calls: list[dict]) -> str:
    return "; ".join(f"`{call['name']}({json.dumps(call['arguments'], ensure_ascii=False)})`" for call in calls)


def _call_verdict(scores: dict) -> str:
    if not scores["called"]:
        return "no call"
    if scores["problems"] and not scores["output"]:
        return "malformed call: " + "; ".join(scores["problems"])
    if not scores["names"]:
        return "wrong function"
    if scores["exact"]:
        return "exact"
    return f"arguments differ: {scores['arguments_matched']} of {scores['arguments']} matched"


SAMPLE_SIZE = 3


def production_by_example(outputs: list[dict]) -> dict[str, dict[str, dict]]:
    """outputs.jsonl's production rows: example id -> variant -> row."""
    by_id: dict[str, dict[str, dict]] = {}
    for row in outputs:
        if row["set"] == "production":
            by_id.setdefault(row["id"], {})[row["variant"]] = row
    return by_id


def differ_most(by_id: dict[str, dict[str, dict]], n: int) -> list[str]:
    """The `n` examples whose variants' semantic scores spread most, and one with a degenerate
    answer if none of those has one."""

    def spread(rows: dict[str, dict]) -> float:
        scores = [row["semantic"] for row in rows.values() if row.get("semantic") is not None]
        return max(scores) - min(scores) if scores else 0.0

    chosen = sorted(by_id, key=lambda i: -spread(by_id[i]))[:n]
    if not any(row.get("degenerate") for i in chosen for row in by_id[i].values()):
        chosen += [i for i in by_id if any(row.get("degenerate") for row in by_id[i].values())][:1]
    return chosen


def _sample_lines(outputs: list[dict], names: list[str]) -> list[str]:
    """A few production examples: where the variants differ most, and a degenerate answer."""
    by_id = production_by_example(outputs)
    lines = ["", "## Sample outputs", "", "Where the variants differ most (every answer is in outputs.jsonl)."]
    for example_id in differ_most(by_id, SAMPLE_SIZE):
        rows = by_id[example_id]
        first = next(iter(rows.values()))
        lines += ["", f"**{example_id}**: {_quote(last_user_turn(first['prompt']))}", "",
                  f"- *experts*: {_quote(first.get('reference', ''))}"]  # fmt: skip
        for name in names:
            if name in rows:
                row = rows[name]
                flags = f" **[{', '.join(row['degenerate'])}]**" if row.get("degenerate") else ""
                lines.append(f"- *{name}*: {_quote(row['output']) or '(empty)'}{flags}")
    return lines


def _quote(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _interval(key: str, metric: dict, digits: int) -> str:
    """" [low, high]" of a metric with a confidence interval in its detail, else ""."""
    detail = metric.get("detail") or {}
    if detail.get("ci_low") is None or detail.get("ci_high") is None:
        return ""
    return f" [{formatted(key, detail['ci_low'], digits)}, {formatted(key, detail['ci_high'], digits)}]"
