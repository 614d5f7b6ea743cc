"""An export as tables (pandas), for the Export page: a plan's gates, what they left out and the
conflicts a lead must settle, its quality profile, the registered snapshots and a diff of two.

Every function takes the domain's own values (`ExportPlan`, its `profile` dict,
`RegisteredSnapshot`, `SnapshotDiff`) and only reshapes them; nothing here computes a figure.
"""

from __future__ import annotations

import pandas as pd

from annotate.export.build import ExportPlan
from annotate.export.diff import SnapshotDiff
from annotate.export.examples import task_of
from annotate.store.datasets import RegisteredSnapshot


def split_table(by_split: dict[str, dict[str, int]], label: str) -> pd.DataFrame:
    """{"train": {key: n}, "eval": {key: n}} as rows of key, train, eval, total (most first)."""
    keys = list(dict.fromkeys([*by_split.get("train", {}), *by_split.get("eval", {})]))
    rows = [{label: key, "train": by_split.get("train", {}).get(key, 0), "eval": by_split.get("eval", {}).get(key, 0)}
            for key in keys]  # fmt: skip
    table = pd.DataFrame(rows, columns=[label, "train", "eval"])
    table["total"] = table["train"] + table["eval"]
    return table.sort_values("total", ascending=False, kind="stable")


def gate_table(plan: ExportPlan) -> pd.DataFrame:
    """One row per gate: on or off, how many it left out, and its key counts."""
    rows = [{"gate": report.name, "on": "yes" if report.enabled else "no", "left out": len(report.dropped),
             "counts": describe_counts(report.counts)} for report in plan.gates]  # fmt: skip
    return pd.DataFrame(rows, columns=["gate", "on", "left out", "counts"])


def describe_counts(counts: dict) -> str:
    """A gate's counts in one line: "dropped 2, clusters 1; before: none 20, incomplete 5"."""
    flat = [f"{key} {value}" for key, value in counts.items() if not isinstance(value, (dict, list))]
    nested = [f"{key}: " + (", ".join(f"{k} {v}" for k, v in value.items()) or "—")
              for key, value in counts.items() if isinstance(value, dict)]  # fmt: skip
    return "; ".join(part for part in (", ".join(flat), *nested) if part)


def dropped_table(plan: ExportPlan) -> pd.DataFrame:
    """Every row a gate left out: gate, id, reason, detail."""
    rows = [{"gate": report.name, **row} for report in plan.gates for row in report.dropped]
    return pd.DataFrame(rows, columns=["gate", "id", "reason", "detail"])


def conflict_table(plan: ExportPlan) -> pd.DataFrame:
    """The conflicts gate's rows with their task numbers, for the lead to adjudicate."""
    rows = [{"id": row["id"], "task": task_of(row["id"]), "contradicts": row["detail"]}
            for report in plan.gates if report.name == "conflicts" for row in report.dropped]  # fmt: skip
    return pd.DataFrame(rows, columns=["id", "task", "contradicts"])


def lengths_table(profile: dict) -> pd.DataFrame:
    """Prompt and answer length distributions per split."""
    rows = [{"split": split, "text": field.removesuffix("_words"), **stats}
            for split, fields in profile["lengths"].items() for field, stats in fields.items()]  # fmt: skip
    return pd.DataFrame(rows, columns=["split", "text", "min", "p50", "p90", "max", "mean"])


def diversity_table(profile: dict) -> pd.DataFrame:
    """distinct-1/2, type-token ratio and completeness shares per split."""
    rows = []
    for split, values in profile["diversity"].items():
        complete = {f"has {key}": share for key, share in profile["completeness"][split].items()}
        rows.append({"split": split, **values, **complete})
    return pd.DataFrame(rows)


def coverage_table(coverage: dict) -> pd.DataFrame:
    """One row per prompt cluster of the production population: its terms and each set's share."""
    rows = [{"cluster": ", ".join(cluster["terms"][:3]), "terms": ", ".join(cluster["terms"]),
             "population": cluster["population"], "train": cluster["train"], "eval": cluster["eval"]}
            for cluster in coverage["clusters"]]  # fmt: skip
    table = pd.DataFrame(rows, columns=["cluster", "terms", "population", "train", "eval"])
    return table.sort_values("population", ascending=False, kind="stable")


def datasets_table(rows: list[RegisteredSnapshot]) -> pd.DataFrame:
    """name, version, kind, train, eval, created, path per snapshot (newest first)."""
    table = [{"name": row.name, "version": f"v{row.version}", "kind": row.kind, "train": row.counts.get("train"),
              "eval": row.counts.get("eval"), "created (UTC)": row.created_at[:19].replace("T", " "), "path": row.path}
             for row in rows]  # fmt: skip
    return pd.DataFrame(table).iloc[::-1]


def diff_table(difference: SnapshotDiff, old: str, new: str) -> pd.DataFrame:
    """Every count of the two manifests: old, new and the change."""
    rows = [{"count": key, old: before, new: after, "change": after - before}
            for key, (before, after) in difference.counts.items()]  # fmt: skip
    return pd.DataFrame(rows, columns=["count", old, new, "change"])
