"""Lineage: which code made a file, and what a training run or an evaluation records about the
snapshot and the base model it used.

`code_version()` is the one writer of the `code_version` that manifest.json, run.json and
report.json carry: "flywheel 0.1.0", and in a git checkout its commit with "+dirty" for local
edits, "flywheel 0.1.0 (912cfd2+dirty)". (Manifests used to write "flywheel 0.1.0 (912cfd2)"
and runs "0.1.0 (912cfd2+dirty)"; both still read, it is free text to every reader.)
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Literal

from pydantic import Field

import annotate
from annotate.config import Section
from annotate.contracts.manifest import Counts, Sha256, SnapshotKind


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file, read in chunks (exports and model files can be large)."""
    with open(path, "rb") as data:
        return hashlib.file_digest(data, "sha256").hexdigest()


def code_version() -> str:
    """Flywheel's version and, in a git checkout, its commit ('+dirty' when it has local edits)."""
    checkout = Path(annotate.__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(checkout), "describe", "--always", "--dirty=+dirty"], capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"flywheel {annotate.__version__}" + (f" ({commit})" if commit else "")


class SnapshotLineage(Section):
    """The snapshot a run trained on or an evaluation read (`train.snapshot.Snapshot.lineage()`)."""

    path: str = Field(description="The snapshot folder, as given to --data.")
    name: str
    version: int
    kind: SnapshotKind
    manifest_sha256: Sha256 = Field(description="The sha256 of its manifest.json.")
    counts: Counts = Field(description="The manifest's counts.")


class LocalBase(Section):
    path: str = Field(description="A local model folder.")
    config_sha256: Sha256 = Field(description="The sha256 of its config.json.")


class HubBase(Section):
    hub_id: str = Field(description="A hub id.")
    config_sha256: None = None


BaseModelLineage = LocalBase | HubBase


class RunLineage(Section):
    """What a report keeps of an adapter's run.json (`train.evaluate._run_lineage`): every key is
    written, null where the run.json lacked it."""

    run_id: str | None
    kind: Literal["sft", "dpo"] | None
    method: str | None = Field(description="lora, or another peft method, or full.")
    snapshot: SnapshotLineage | None
    init_adapter: str | None = Field(description="DPO on top of an SFT run: that run's folder.")
    base_model: BaseModelLineage | None
    finished_at: str | None
    steps: int | None
    seed: int | None
    code_version: str | None
