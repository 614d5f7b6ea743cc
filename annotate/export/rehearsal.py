"""Rehearsal files an export can mix in (general or safety examples, against forgetting): where a
project's are found, and how a typed path is read. The mixing itself is `annotate.export.build`.
"""

from __future__ import annotations

from pathlib import Path

import annotate
from annotate.project import Project

REHEARSAL_GLOB = "rehearsal*.jsonl"
SAMPLE_DATA = Path(annotate.__file__).resolve().parent.parent / "data" / "sample"  # Flywheel's own sample sets


def rehearsal_candidates(project: Project) -> list[str]:
    """rehearsal*.jsonl in the project (its root, data/, data/sample/) and in Flywheel's own sample
    data: relative to the project when inside it, else absolute."""
    folders = [project.root, project.root / "data", project.root / "data" / "sample", SAMPLE_DATA]
    found = []
    for folder in folders:
        for path in sorted(folder.glob(REHEARSAL_GLOB)) if folder.is_dir() else []:
            label = _label(project, path.resolve())
            if label not in found:
                found.append(label)
    return found


def rehearsal_path(project: Project, path: str) -> Path:
    """A rehearsal file as given (relative to the project, or absolute; `~` expanded)."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else project.root / candidate


def _label(project: Project, path: Path) -> str:
    try:
        return str(path.relative_to(project.root.resolve()))
    except ValueError:
        return str(path)
