"""An evaluation report's metrics as rows for a chart: one per (metric, variant) measured, with
its interval and sample size, so the Model versions page draws them in the app's theme instead of
showing the report's PNG files."""

from __future__ import annotations

from annotate.contracts.eval_metrics import EVAL_METRICS


def metric_chart_rows(report: dict) -> list[dict]:
    """metric (its title, and which way is better), variant, kind, value, low, high (the value
    where the report has no interval), n."""
    rows = []
    for key, title, _, higher in EVAL_METRICS:
        better = {True: " (higher is better)", False: " (lower is better)", None: ""}[higher]
        for variant in report.get("variants", []):
            metric = variant.get("metrics", {}).get(key) or {}
            value = metric.get("value")
            if value is None:
                continue
            detail = metric.get("detail") or {}
            low, high = detail.get("ci_low"), detail.get("ci_high")
            rows.append({"metric": title + better, "variant": variant["name"], "kind": variant.get("kind", ""),
                         "value": float(value), "low": float(value if low is None else low),
                         "high": float(value if high is None else high), "n": metric.get("n")})  # fmt: skip
    return rows
