"""Writing a snapshot: `exports/NAME/vN/` with train/eval JSONL (and Parquet), a manifest and a
dataset card, registered in `datasets`. Everything is written into a hidden temporary folder
beside it and renamed into place, so a killed export leaves no half snapshot; a snapshot is never
changed after. What the manifest holds is `annotate.contracts.manifest.Manifest` (and
`schemas/manifest.schema.json`); `read_manifest` there reads it back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from annotate.contracts.lineage import code_version, file_sha256
from annotate.contracts.manifest import MANIFEST_FILE
from annotate.errors import FlywheelError
from annotate.export.build import ExportPlan
from annotate.export.examples import Example
from annotate.export.formats import trl_row
from annotate.project import Project
from annotate.store import Store
from annotate.store.datasets import RegisteredSnapshot

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
CARD_USE = {
    "sft": "trl.SFTTrainer (conversational `messages`; `prompt`/`completion` with sft.format = 'prompt_completion')",
    "dpo": "trl.DPOTrainer (conversational `prompt`, `chosen`, `rejected`)",
    "kto": "trl.KTOTrainer (unpaired `prompt`, `completion`, `label`)",
}


def exports_dir(project: Project) -> Path:
    return project.root / "exports"


def list_snapshots(store: Store, name: str | None = None) -> list[RegisteredSnapshot]:
    """Every registered snapshot (of `name` only, when given), as the store lists them."""
    return store.datasets(name)


def registered_snapshot(store: Store, name: str, version: str) -> RegisteredSnapshot:
    """The snapshot `name` at `version` ("3" or "v3"); a `FlywheelError` when there is none."""
    number = version.lstrip("v")
    row = store.dataset(name, int(number)) if number.isdigit() else None
    if row is None:
        raise FlywheelError(f"no snapshot {name} {version}; `flywheel export list` shows them")
    return row


def write_snapshot(store: Store, project: Project, name: str, plan: ExportPlan) -> Path:
    """Write and register the plan as the next version of `name`; returns the snapshot folder."""
    if not _NAME.fullmatch(name or ""):
        raise FlywheelError(f"{name!r} is not a dataset name (letters, digits, '-' and '_')")
    root = exports_dir(project) / name
    root.mkdir(parents=True, exist_ok=True)
    version = max(store.next_dataset_version(name), _next_folder_version(root))
    final = root / f"v{version}"
    staging = Path(tempfile.mkdtemp(prefix=f".v{version}-", dir=root))
    try:
        files = _write_files(staging, plan)
        manifest = _manifest(name, version, plan, files)
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (staging / "README.md").write_text(_card(name, version, plan, manifest), encoding="utf-8")
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with store.transaction():
        store.insert_dataset(name=name, version=version, kind=plan.kind, path=str(final.relative_to(project.root)),
                             spec=manifest["spec"], counts=manifest["counts"], file_hashes=manifest["files"],
                             created_at=manifest["created_at"])  # fmt: skip
    return final


def _next_folder_version(root: Path) -> int:
    versions = [int(path.name[1:]) for path in root.glob("v*") if path.name[1:].isdigit()]
    return max(versions, default=0) + 1


def _write_files(folder: Path, plan: ExportPlan) -> dict[str, str]:
    hashes = {}
    for split, examples in (("train", plan.train), ("eval", plan.eval)):
        rows = [trl_row(example, plan.spec.sft.format) for example in examples]
        path = folder / f"{split}.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        hashes[path.name] = file_sha256(path)
        if plan.spec.parquet:
            import pandas as pd

            parquet = folder / f"{split}.parquet"
            pd.DataFrame(rows).to_parquet(parquet, index=False)
            hashes[parquet.name] = file_sha256(parquet)
    return hashes


def _manifest(name: str, version: int, plan: ExportPlan, files: dict[str, str]) -> dict:
    everything = plan.train + plan.eval
    production = [example for example in everything if example.is_production]
    agreements = [example.agreement for example in production if example.agreement is not None]
    return {
        "name": name, "version": version, "kind": plan.kind, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "code_version": code_version(), "seed": plan.seed, "spec": plan.spec.model_dump(mode="json"),
        "counts": {
            "train": len(plan.train), "eval": len(plan.eval),
            "by_split_and_source": _count(everything, lambda e: f"{e.split}:{e.source}"),
            "by_category": _count(everything, lambda e: ",".join(e.categories) or "none"),
            "by_origin": _count(everything, lambda e: e.origin),
        },
        "files": files,
        "agreement": {"examples": len(agreements), "mean": sum(agreements) / len(agreements) if agreements else None,
                      "by_method": _count(production, lambda e: e.lineage.get("method") or e.origin)},
        "annotators": sorted({a for example in production for a in example.lineage.get("annotators", [])}),
        "left_out_before_gates": plan.skipped,
        "gates": [report.__dict__ for report in plan.gates],
        "rehearsal": plan.rehearsal,
        "profile": plan.profile,
        "rows": [_lineage(example) for example in everything],
    }  # fmt: skip


def _lineage(example: Example) -> dict:
    """The row's lineage; its paraphrase group, failure categories and prompt cluster too, for
    evaluation's consistency metric and slices."""
    return {"id": example.id, "split": example.split, "origin": example.origin, "source": example.source,
            "group": example.group, "categories": list(example.categories), **example.lineage}  # fmt: skip


def _count(examples: list[Example], key) -> dict[str, int]:
    return dict(Counter(key(example) for example in examples).most_common())


def _card(name: str, version: int, plan: ExportPlan, manifest: dict) -> str:
    columns = {"sft": "`id`, `messages`" if plan.spec.sft.format == "messages" else "`id`, `prompt`, `completion`",
               "dpo": "`id`, `prompt`, `chosen`, `rejected`", "kto": "`id`, `prompt`, `completion`, `label`"}[plan.kind]  # fmt: skip
    gates = "\n".join(f"| {report.name} | {'on' if report.enabled else 'off'} | {len(report.dropped)} |" for report in plan.gates)
    return f"""# {name} v{version} ({plan.kind.upper()})

Made by Flywheel from expert-reviewed production interactions on {manifest['created_at']} ({manifest['code_version']}).

- **Format**: conversational JSON Lines for {CARD_USE[plan.kind]}. Columns: {columns}. `id` names the
  example; its lineage (records, task, annotations, adjudication, annotators) is in `manifest.json`.
- **Rows**: {len(plan.train):,} train, {len(plan.eval):,} eval (held out from production examples,
  stratified by failure category, no paraphrase group or near-duplicate cluster on both sides).
- **What went in**: resolved decisions only (unanimous, majority, adjudicated), never "unusable";
  annotators under the gold-accuracy bar of {plan.spec.selection.min_gold_accuracy:g} left out.
  Mean agreement of the included decisions: {manifest['agreement']['mean'] if manifest['agreement']['mean'] is not None else 'n/a'}.
- **Rehearsal**: {', '.join(f"{item['path']} ({item['examples']} examples, {item['ratio']:g} of train)" for item in plan.rehearsal) or 'none'}.

| gate | | left out |
| --- | --- | --- |
{gates}

```python
from datasets import load_dataset
data = load_dataset("json", data_files={{"train": "train.jsonl", "eval": "eval.jsonl"}})
print(data["train"][0])
```
"""
