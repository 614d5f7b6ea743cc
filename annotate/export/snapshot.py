"""Writing a snapshot: `exports/NAME/vN/` with train/eval JSONL (and Parquet), a manifest and a
dataset card, registered in `datasets`. What the manifest holds is
`annotate.contracts.manifest.Manifest` (and `schemas/manifest.schema.json`); `read_manifest`
there reads it back. A snapshot is never changed after.

Crash safety: exports of one name hold `exports/NAME/.lock` (an exclusive `flock`) from start to
end, so concurrent ones run one after the other. Everything is written into a hidden staging
folder `.vN-*` and renamed into place, then registered. A kill at any point leaves either a
staging folder (no snapshot) or a complete `vN` folder not yet registered; `recover_snapshots`,
run under the lock before every export and by every listing, removes the first and registers the
second (its manifest and file hashes checked), so afterwards the folder and the registry row
both exist or neither does.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from annotate.contracts.lineage import code_version, file_sha256
from annotate.contracts.manifest import MANIFEST_FILE, read_manifest
from annotate.crash_points import crash_point
from annotate.errors import FlywheelError, ManifestError
from annotate.export import indented_json
from annotate.export.build import ExportPlan, paused_gc
from annotate.export.examples import Example
from annotate.export.formats import trl_row
from annotate.project import Project
from annotate.store import Store
from annotate.store.datasets import RegisteredSnapshot

log = logging.getLogger(__name__)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
CARD_USE = {
    "sft": "trl.SFTTrainer (conversational `messages`; `prompt`/`completion` with sft.format = 'prompt_completion')",
    "dpo": "trl.DPOTrainer (conversational `prompt`, `chosen`, `rejected`)",
    "kto": "trl.KTOTrainer (unpaired `prompt`, `completion`, `label`)",
}


def exports_dir(project: Project) -> Path:
    return project.root / "exports"


def list_snapshots(store: Store, name: str | None = None) -> list[RegisteredSnapshot]:
    """Every registered snapshot (of `name` only, when given), as the store lists them
    (`recover_snapshots` first registers what a killed export left)."""
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
    with _export_lock(root, wait=True), paused_gc():
        for line in _recover(store, project, root):
            log.warning("%s", line)
        version = max(store.next_dataset_version(name), _next_folder_version(root))
        final = root / f"v{version}"
        staging = Path(tempfile.mkdtemp(prefix=f".v{version}-", dir=root))
        try:
            files = _write_files(staging, plan)
            crash_point("export:files-written")
            manifest = _manifest(name, version, plan, files)
            (staging / MANIFEST_FILE).write_text(indented_json.dumps(manifest) + "\n", encoding="utf-8")
            (staging / "README.md").write_text(_card(name, version, plan, manifest), encoding="utf-8")
            crash_point("export:staged")
            os.rename(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        crash_point("export:renamed")
        _register(store, project, final, manifest)
        crash_point("export:registered")
    return final


def recover_snapshots(store: Store, project: Project, name: str | None = None, *, wait: bool = True) -> list[str]:
    """Finish or remove what killed exports left (of `name`, or of every dataset): staging folders
    are removed, complete unregistered `vN` folders registered. A dataset whose export is running
    now (its lock is held) is left alone when `wait` is False. Returns what was done, in words."""
    base = exports_dir(project)
    roots = [base / name] if name else sorted(path for path in base.glob("*") if path.is_dir()) if base.is_dir() else []
    done: list[str] = []
    for root in roots:
        if not root.is_dir():
            continue
        with _export_lock(root, wait=wait) as held:
            if held:
                done += _recover(store, project, root)
    return done


def _recover(store: Store, project: Project, root: Path) -> list[str]:
    """The recovery of one dataset folder; the caller holds its lock."""
    done = []
    for staging in sorted(root.glob(".v*-*")):
        if staging.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
            done.append(f"removed {staging.relative_to(project.root)}: an export killed before it finished")
    registered = {row.version for row in store.datasets(root.name)}
    for folder in sorted(root.glob("v*")):
        if not folder.is_dir() or not folder.name[1:].isdigit() or int(folder.name[1:]) in registered:
            continue
        try:
            manifest = read_manifest(folder)
            changed = [file for file, sha in manifest.files.items() if file_sha256(folder / file) != sha]
        except (ManifestError, OSError) as exc:
            done.append(f"left {folder.relative_to(project.root)} unregistered: {exc}")
            continue
        if changed or manifest.name != root.name or manifest.version != int(folder.name[1:]):
            done.append(f"left {folder.relative_to(project.root)} unregistered: its files or name do not match its manifest")
            continue
        _register(store, project, folder, manifest.as_written(rows=False))
        done.append(f"registered {folder.relative_to(project.root)}: its export was killed before registering it")
    return done


def _register(store: Store, project: Project, folder: Path, manifest: dict) -> None:
    with store.transaction():
        store.insert_dataset(name=manifest["name"], version=manifest["version"], kind=manifest["kind"],
                             path=str(folder.relative_to(project.root)), spec=manifest["spec"], counts=manifest["counts"],
                             file_hashes=manifest["files"], created_at=manifest["created_at"])  # fmt: skip


@contextmanager
def _export_lock(root: Path, *, wait: bool) -> Iterator[bool]:
    """Hold `root/.lock` exclusively (yields True), waiting for another export of the name to end;
    with `wait` False, yields False at once when one holds it."""
    with open(root / ".lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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
