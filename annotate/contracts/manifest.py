"""`manifest.json`: what `flywheel export` writes beside a snapshot's files, and the one reader of it.

`annotate.export.snapshot` writes it; `train.snapshot` (training and evaluation), `flywheel export
show|diff`, the Export page and the Model versions page read it with `read_manifest(folder)`,
which either returns a `Manifest` or raises `ManifestError` naming the file and what is wrong
(missing, unreadable, not JSON, or not a manifest: the first bad key and why).

Every manifest `flywheel export` writes holds every field below. A reader needs only the
snapshot's identity (`name`, `version`, `kind`) and its `files`, so the other fields have
defaults: a hand-made snapshot (the training benchmark writes one) still trains. Lineage rows
and gate counts are open-ended (each origin, each gate records its own keys); the rest is not.
`schemas/manifest.schema.json` is generated from `Manifest` (`flywheel schemas write`).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from annotate.config import Section
from annotate.errors import ManifestError

MANIFEST_FILE = "manifest.json"
SnapshotKind = Literal["sft", "dpo", "kto"]
SNAPSHOT_KINDS: tuple[str, ...] = get_args(SnapshotKind)
Origin = Literal["correction", "accepted", "preference", "feedback", "rehearsal"]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="A sha256, hex.")]
Share = Annotated[float, Field(ge=0, le=1)]


class _Open(BaseModel):
    """A value whose writer may add keys of its own (kept as they are)."""

    model_config = ConfigDict(extra="allow")


class Counts(Section):
    train: int = Field(default=0, ge=0, description="Rows in train.jsonl.")
    eval: int = Field(default=0, ge=0, description="Rows in eval.jsonl.")
    by_split_and_source: dict[str, int] = Field(default_factory=dict, description='"split:source" -> rows.')
    by_category: dict[str, int] = Field(default_factory=dict, description='Failure categories (","-joined; "none") -> rows.')
    by_origin: dict[str, int] = Field(default_factory=dict, description="Origin -> rows.")


class Agreement(Section):
    examples: int = Field(ge=0, description="Production examples with an agreement figure.")
    mean: Share | None = Field(description="Their mean agreement (null: none had one).")
    by_method: dict[str, int] = Field(description="How the decisions were reached (single, majority, ...) -> examples.")


class GateSummary(Section):
    name: str = Field(description="exact_duplicates, near_duplicates, conflicts, formats, pii, balance or leakage (the split's check: pairs found, moved, the frozen held-out set).")
    enabled: bool
    dropped: list[dict[str, Any]] = Field(description='The rows it left out: {"id", "reason", "detail"}.')
    counts: dict[str, Any] = Field(description="The gate's own figures (each gate has its own keys); every gate that ran says `checked`, the rows of this kind it looked at.")


class RehearsalMix(Section):
    path: str = Field(description="The rehearsal file.")
    ratio: float = Field(gt=0, lt=1, description="Its share of the final train set.")
    examples: int = Field(ge=0, description="Rows drawn from it.")
    available: int = Field(ge=0, description="Rows the file holds.")


class LengthStats(Section):
    min: int | None
    p50: float | None
    p90: float | None
    max: int | None
    mean: float | None


class Lengths(Section):
    prompt_words: LengthStats
    answer_words: LengthStats


class Completeness(Section):
    answer: Share | None
    prompt: Share | None
    categories: Share | None


class Diversity(Section):
    distinct_1: float | None
    distinct_2: float | None
    type_token_ratio: float | None


class CoverageCluster(Section):
    terms: list[str]
    population: Share
    train: Share | None
    eval: Share | None


class Coverage(Section):
    population: int = Field(ge=0, description="Production prompts clustered.")
    clusters: list[CoverageCluster]
    train_js_distance: Share | None
    eval_js_distance: Share | None


class Profile(Section):
    """The data-quality profile (`annotate.export.profile.quality_profile`); per split: train, eval."""

    examples: dict[str, int]
    completeness: dict[str, Completeness]
    lengths: dict[str, Lengths]
    diversity: dict[str, Diversity]
    categories: dict[str, dict[str, int]]
    sources: dict[str, dict[str, int]]
    origins: dict[str, dict[str, int]]
    coverage: Coverage


class LineageRow(_Open):
    """One exported row's way back: its records, task, annotations, adjudication and annotators (a
    production row), or its file and line (a rehearsal row)."""

    id: str = Field(description="The row's `id` in train.jsonl / eval.jsonl.")
    split: Literal["train", "eval"]
    origin: Origin
    source: str = Field(description='The records\' source, or "rehearsal:NAME".')
    group: str | None = Field(default=None, description="Paraphrase group (evaluation's consistency metric uses it).")
    record_ids: list[str] = Field(default_factory=list)
    task_id: int | None = None
    annotation_ids: list[int] = Field(default_factory=list)
    adjudication_id: int | None = None
    annotators: list[str] = Field(default_factory=list)
    method: str | None = Field(default=None, description="How the decision was reached (adjudication, gold, single, "
                               "unanimous, majority or weighted).")  # fmt: skip
    posterior: float | None = Field(default=None, description="Under [resolution] method = \"weighted\": the "
                                    "Dawid-Skene estimate's probability of the decided value.")  # fmt: skip
    categories: list[str] = Field(default_factory=list, description="The decision's failure categories (evaluation's slices).")
    cluster: int | None = Field(default=None, description="The prompt cluster task selection put its task in (evaluation's slices).")
    rehearsal_file: str | None = None
    line: int | None = None
    repeat_of: str | None = Field(default=None, description="The row an oversampled copy repeats.")


class Manifest(BaseModel):
    """A snapshot's `manifest.json`: what it is, how it was made, and every row's lineage."""

    model_config = ConfigDict(extra="allow", frozen=True, title="Flywheel snapshot manifest")

    name: str = Field(min_length=1, description="Dataset name: the snapshot is exports/NAME/vVERSION.")
    version: int = Field(ge=1)
    kind: SnapshotKind
    created_at: str = Field(default="", description="ISO 8601, UTC.")
    code_version: str = Field(default="", description="Flywheel's version and git commit (annotate.contracts.lineage).")
    seed: int = 0
    spec: dict[str, Any] = Field(default_factory=dict, description="The export spec used (annotate.export.spec).")
    counts: Counts = Field(default_factory=Counts)
    files: dict[str, Sha256] = Field(description="Each data file -> its sha256; training refuses a changed file.")
    agreement: Agreement | None = None
    annotators: list[str] = Field(default_factory=list, description="Everyone whose answers are in it.")
    left_out_before_gates: dict[str, int] = Field(default_factory=dict, description="Reason -> decisions left out.")
    gates: list[GateSummary] = Field(default_factory=list)
    rehearsal: list[RehearsalMix] = Field(default_factory=list)
    profile: Profile | None = None
    rows: list[LineageRow] = Field(default_factory=list)

    _sha256: str | None = PrivateAttr(default=None)

    @property
    def sha256(self) -> str | None:
        """The sha256 of the file it was read from (what a run's lineage records); None when built in memory."""
        return self._sha256

    def as_written(self, *, rows: bool = True) -> dict[str, Any]:
        """The manifest as its file holds it (without the per-row lineage when `rows` is False)."""
        return self.model_dump(mode="json", exclude_unset=True, exclude=None if rows else {"rows"})


def read_manifest(folder: str | Path) -> Manifest:
    """The manifest of the snapshot in `folder`; `ManifestError` when it is missing or not a manifest.

    A snapshot never changes, so a file read before (same size and modification time) is not
    parsed again: pages that rerun on every click read a large manifest once. Readers share the
    value returned and must not change it."""
    path = Path(folder) / MANIFEST_FILE
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise ManifestError(f"{folder}: no {MANIFEST_FILE}: not a snapshot folder (exports/NAME/vN), or the snapshot "
                            "was moved or deleted") from exc  # fmt: skip
    except OSError as exc:
        raise ManifestError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return _parsed(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _parsed(path: Path, mtime_ns: int, size: int) -> Manifest:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        manifest = Manifest.model_validate_json(raw)
    except ValidationError as exc:
        raise ManifestError(f"{path}: {_problem(exc)}") from exc
    manifest._sha256 = hashlib.sha256(raw).hexdigest()
    return manifest


def _problem(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        return f"not valid JSON ({first['msg']})"
    where = ".".join(str(part) for part in first["loc"]) or "(the file)"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"not a snapshot manifest: {where}: {first['msg']}{more}"
