"""What changed between two snapshots of a dataset: rows by id, and the counts."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from annotate.contracts.manifest import read_manifest


@dataclass
class SnapshotDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # same id, different row or split
    unchanged: int = 0
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)


def diff_snapshots(old: Path, new: Path) -> SnapshotDiff:
    """Rows and counts of the snapshot in `new` against the one in `old`; a missing or broken manifest
    raises `ManifestError`, an unreadable data file `OSError`."""
    before, after = _rows(old), _rows(new)
    difference = SnapshotDiff(
        added=sorted(set(after) - set(before)), removed=sorted(set(before) - set(after)),
        changed=sorted(key for key in set(before) & set(after) if before[key] != after[key]),
    )  # fmt: skip
    difference.unchanged = len(set(before) & set(after)) - len(difference.changed)
    counts_before, counts_after = _counts(old), _counts(new)
    for key in sorted(set(counts_before) | set(counts_after)):
        difference.counts[key] = (counts_before.get(key, 0), counts_after.get(key, 0))
    return difference


def _rows(folder: Path) -> dict[str, str]:
    """Row id -> a hash of (split, row)."""
    rows = {}
    for split in ("train", "eval"):
        with open(folder / f"{split}.jsonl", encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                rows[row["id"]] = hashlib.sha256(f"{split}\x1f{json.dumps(row, sort_keys=True)}".encode()).hexdigest()
    return rows


def _counts(folder: Path) -> dict[str, int]:
    counts = read_manifest(folder).counts
    flat = {"train": counts.train, "eval": counts.eval}
    for group in ("by_category", "by_origin", "by_split_and_source"):
        flat.update({f"{group.removeprefix('by_')}: {key}": value for key, value in getattr(counts, group).items()})
    return flat
