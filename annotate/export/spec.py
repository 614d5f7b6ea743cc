"""The export spec (`flywheel export --spec SPEC.toml`): what goes in, which gates run, how it splits.

Every field has a default, so no spec is needed; the spec used is recorded in the manifest.
`load_spec` reads a SPEC.toml, `spec_toml` writes one (the Export page offers it for download).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, ValidationError

from annotate.config import Section
from annotate.errors import FlywheelError
from annotate.text.clean import UncleanFile, load_toml, read_text


class Selection(Section):
    min_gold_accuracy: float = Field(default=0.5, ge=0, le=1,
                                     description="Leave out answers of annotators whose gold accuracy is below this (annotators with no gold items are kept).")  # fmt: skip
    min_agreement: float | None = Field(default=None, ge=0, le=1, description="Only decisions at least this share of answers agree with.")
    rounds: list[str] = Field(default_factory=list, description="Only these rounds (names); empty: all.")
    categories: list[str] = Field(default_factory=list, description="Only decisions with one of these failure categories; empty: all.")
    sources: list[str] = Field(default_factory=list, description="Only records from these sources; empty: all.")
    include_accepted: bool = Field(default=True, description="SFT: responses judged acceptable as is become examples too.")
    include_feedback: bool = Field(default=True, description="KTO: production thumbs up/down on records no expert judged.")


class ExactDuplicates(Section):
    enabled: bool = True


class NearDuplicates(Section):
    enabled: bool = True
    threshold: float | None = Field(default=None, gt=0, le=1, description="LSH candidate threshold: the character 4-gram Jaccard at which a pair is proposed half the time; lower finds more, costs more. Default: verify_above - 0.25 (measured: at least 99% of the pairs at or above verify_above proposed).")
    verify_above: float = Field(default=0.9, gt=0, le=1, description="Near duplicates: casefolded, whitespace-collapsed texts at least this similar (rapidfuzz's normalised Indel similarity, 0..1). The gates, the split and the leakage check share this definition.")
    num_perm: int = Field(default=128, ge=16)


class Conflicts(Section):
    enabled: bool = True
    prompt_similarity: float = Field(default=0.9, gt=0, le=1, description="Prompts at least this similar are the same question.")
    answers_below: float = Field(default=0.5, ge=0, le=1, description="Their answers contradict when less similar than this.")


class Pii(Section):
    enabled: bool = Field(default=True, description="Scrub personal data (the project's [pii] entities) from everything exported.")


class Formats(Section):
    enabled: bool = Field(default=True, description="Leave out corrections that fail the project's format validators.")


class Balance(Section):
    cap_per_category: int | None = Field(default=None, ge=1, description="At most this many train examples per failure category.")
    oversample_to: int | None = Field(default=None, ge=1, description="Repeat examples of rarer categories up to this many.")


class Split(Section):
    eval_fraction: float = Field(default=0.1, ge=0, lt=1, description="Share of production examples held out for evaluation.")
    frozen_eval: bool = Field(default=True, description="Keep the eval prompts of every earlier version of the dataset name out of train (they stay eval): one held-out set across versions.")
    on_leak: Literal["fail", "resplit"] = Field(default="fail", description="An eval prompt (this export's or an earlier version's) with a near duplicate in train: fail the export, or move it (an eval example that must stay eval, being in or near the frozen set, pulls its train twin into eval; any other moves to train; such rehearsal rows are left out) until nothing straddles.")


class Dpo(Section):
    min_edit: float = Field(default=0.1, ge=0, le=1,
                            description="A correction becomes a pair only when it changed at least this share of the text (1 - similarity).")  # fmt: skip


class Sft(Section):
    format: Literal["messages", "prompt_completion"] = "messages"


class ExportSpec(Section):
    model_config = ConfigDict(extra="forbid", title="Flywheel export spec")

    selection: Selection = Field(default_factory=Selection)
    exact_duplicates: ExactDuplicates = Field(default_factory=ExactDuplicates)
    near_duplicates: NearDuplicates = Field(default_factory=NearDuplicates)
    conflicts: Conflicts = Field(default_factory=Conflicts)
    pii: Pii = Field(default_factory=Pii)
    formats: Formats = Field(default_factory=Formats)
    balance: Balance = Field(default_factory=Balance)
    split: Split = Field(default_factory=Split)
    dpo: Dpo = Field(default_factory=Dpo)
    sft: Sft = Field(default_factory=Sft)
    parquet: bool = Field(default=False, description="Also write train.parquet and eval.parquet.")


def load_spec(path: Path | None) -> ExportSpec:
    """The spec in `path` (TOML), or the defaults; errors name the file and the key."""
    if path is None:
        return ExportSpec()
    try:
        data = load_toml(read_text(path), str(path))
    except OSError as exc:
        raise FlywheelError(f"{path}: cannot read the export spec: {exc.strerror}") from exc
    except UncleanFile as exc:
        raise FlywheelError(f"export spec {exc}") from exc
    try:
        return ExportSpec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"])
        raise FlywheelError(f"{path}: {where}: {error['msg']}") from exc


def selection_choices(store, config) -> tuple[list[str], list[str], list[str]]:
    """What a spec's selection can filter on in this project: round names, failure category ids, record sources."""
    rounds = [row["name"] for row in store.rounds_with_counts()]
    sources = sorted({row["source"] for row in store.records_by_source_and_model()})
    return rounds, [category.id for category in config.taxonomy.failure_categories], sources


def spec_toml(spec: ExportSpec) -> str:
    """The spec as a SPEC.toml for `flywheel export --spec` (unset optional values left out)."""
    data = spec.model_dump(exclude_none=True)
    lines = [f"{key} = {_toml_value(value)}" for key, value in data.items() if not isinstance(value, dict)]
    for section, values in data.items():
        if isinstance(values, dict):
            lines += ["", f"[{section}]", *(f"{key} = {_toml_value(value)}" for key, value in values.items())]
    return "\n".join(lines) + "\n"


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string
