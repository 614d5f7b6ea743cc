"""An exported snapshot (`exports/NAME/vN/`) as training reads it: checked against its manifest.

`open_snapshot(folder, kind)` reads `manifest.json` (with its one reader,
`annotate.contracts.manifest.read_manifest`), checks the snapshot's kind and that every
file the manifest lists still has the sha256 it recorded, and returns the paths and the lineage
a run records (name, version, kind, the manifest's own sha256). A snapshot edited after export
is refused: a run must be traceable to exactly the rows the experts' decisions produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from annotate.contracts.lineage import file_sha256
from annotate.contracts.manifest import LineageRow, read_manifest
from annotate.errors import TrainingError


@dataclass(frozen=True)
class Snapshot:
    folder: Path
    name: str
    version: int
    kind: str  # sft | dpo | kto
    manifest_sha256: str
    counts: dict
    rows: list[LineageRow]  # the manifest's per-example lineage (id, split, group, records, annotators, ...)
    train_file: Path
    eval_file: Path | None

    def lineage(self) -> dict:
        return {"path": str(self.folder), "name": self.name, "version": self.version, "kind": self.kind,
                "manifest_sha256": self.manifest_sha256, "counts": self.counts}  # fmt: skip


def open_snapshot(folder: str | Path, kind: str | None) -> Snapshot:
    """The snapshot in `folder`, checked (see the module docstring); `kind` is what the trainer takes
    (None: any kind, as evaluation reads every kind's eval split). A manifest that is missing or is
    not one raises `ManifestError` (`annotate.contracts.manifest.read_manifest`)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if kind is not None and manifest.kind != kind:
        raise TrainingError(f"{folder}: a {manifest.kind!r} snapshot; `flywheel train {kind}` takes a {kind!r} export "
                            f"(flywheel export --kind {kind})")  # fmt: skip
    for name, recorded in manifest.files.items():
        path = folder / name
        if not path.is_file():
            raise TrainingError(f"{folder}: {name} is listed in the manifest but missing")
        actual = file_sha256(path)
        if actual != recorded:
            raise TrainingError(f"{path}: sha256 {actual[:12]}… differs from the manifest's {recorded[:12]}…; the snapshot "
                                "was changed after export. Export a new version instead of editing one.")  # fmt: skip
    train_file = folder / "train.jsonl"
    if "train.jsonl" not in manifest.files:
        raise TrainingError(f"{folder}: the manifest lists no train.jsonl")
    eval_file = folder / "eval.jsonl"
    has_eval = "eval.jsonl" in manifest.files and eval_file.stat().st_size > 0
    return Snapshot(
        folder=folder, name=manifest.name, version=manifest.version, kind=manifest.kind,
        manifest_sha256=manifest.sha256, counts=manifest.counts.model_dump(exclude_unset=True), rows=manifest.rows,
        train_file=train_file, eval_file=eval_file if has_eval else None,
    )  # fmt: skip
