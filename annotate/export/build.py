"""The export pipeline: decisions -> examples -> gates -> split -> rehearsal -> balance -> leakage check.

`build_export(store, project, kind, spec, seed, rehearsal)` returns what would be written (rows by
split, the gate reports, the profile, the lineage) without writing anything, so the engineer page
can preview it; `annotate.export.snapshot.write_snapshot` writes it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from annotate.errors import FlywheelError
from annotate.export import gates
from annotate.export.decisions import decisions
from annotate.export.examples import Example
from annotate.export.formats import examples_from, feedback_examples, rehearsal_examples
from annotate.export.profile import quality_profile
from annotate.export.spec import ExportSpec
from annotate.export.split import check_leakage, split
from annotate.project import Project
from annotate.records import last_user_turn
from annotate.store import Store

KINDS = ("sft", "dpo", "kto")


@dataclass(frozen=True)
class Rehearsal:
    path: Path
    ratio: float  # share of the final train set

    @classmethod
    def parse(cls, text: str) -> Rehearsal:
        """'PATH:RATIO', e.g. 'data/sample/rehearsal_general.jsonl:0.1'."""
        path, sep, ratio = text.rpartition(":")
        try:
            value = float(ratio)
        except ValueError:
            value = -1.0
        if not sep or not path or not 0 < value < 1:
            raise FlywheelError(f"--rehearsal {text!r}: expected PATH:RATIO with a ratio between 0 and 1")
        return cls(Path(path), value)


@dataclass
class ExportPlan:
    kind: str
    spec: ExportSpec
    seed: int
    train: list[Example]
    eval: list[Example]
    gates: list[gates.GateReport]
    skipped: dict[str, int]
    profile: dict
    rehearsal: list[dict] = field(default_factory=list)


def build_export(store: Store, project: Project, kind: str, spec: ExportSpec, *, seed: int = 0,
                 rehearsal: list[Rehearsal] = ()) -> ExportPlan:  # fmt: skip
    if kind not in KINDS:
        raise FlywheelError(f"unknown export kind {kind!r}: {', '.join(KINDS)}")
    config = project.config
    made, skipped = decisions(store, config, spec.selection)
    records = store.records_for_export()
    examples = examples_from(made, records, kind, spec)
    if kind == "kto" and spec.selection.include_feedback:
        judged = {record_id for decision in made for record_id in (decision.task.record_id, decision.task.record_b_id) if record_id}
        examples += feedback_examples(list(records.values()), judged)
    if spec.selection.sources:
        examples = [example for example in examples if example.source in spec.selection.sources]
    reports = []
    examples, report = gates.exact_duplicates(examples, spec.exact_duplicates)
    reports.append(report)
    examples, report, clusters = gates.near_duplicates(examples, spec.near_duplicates)
    reports.append(report)
    examples, report = gates.conflicts(examples, spec.conflicts)
    reports.append(report)
    examples, report = gates.format_failures(examples, spec.formats.enabled, config.validators, project.root)
    reports.append(report)
    examples, report = gates.scrub_pii(examples, spec.pii.enabled, config.pii.entities, config.flagging.pii_min_score,
                                       config.pii.min_scores)
    reports.append(report)
    split(examples, clusters, spec.split.eval_fraction, seed)
    examples, report = gates.balance(examples, spec.balance, seed)
    reports.append(report)
    train = [example for example in examples if example.split == "train"]
    evaluation = [example for example in examples if example.split == "eval"]
    check_leakage(gates.near_duplicate_pairs(evaluation, train, spec.near_duplicates))
    added, rehearsal_counts = _mix_rehearsal(kind, len(train), rehearsal, seed)
    added, scrubbed = gates.scrub_pii(added, spec.pii.enabled, config.pii.entities, config.flagging.pii_min_score,
                                      config.pii.min_scores)
    pii_report = next(report for report in reports if report.name == "pii")
    for entity, count in scrubbed.counts.items():
        pii_report.counts[entity] = pii_report.counts.get(entity, 0) + count
    mixed = train + added
    population = [text for text in (last_user_turn(record["messages"]) for record in records.values()) if text]
    profile = quality_profile(mixed, evaluation, population, seed)
    return ExportPlan(kind, spec, seed, mixed, evaluation, reports, skipped, profile, rehearsal_counts)


def _mix_rehearsal(kind: str, train_size: int, rehearsal: list[Rehearsal], seed: int) -> tuple[list[Example], list[dict]]:
    """The rehearsal examples that make each set its share of the final train set (drawn with the
    seed; repeated when the file is smaller than the share asks)."""
    if not rehearsal:
        return [], []
    if kind == "dpo":
        raise FlywheelError("rehearsal sets are answers, not pairs: use them with --kind sft or kto")
    total_share = sum(item.ratio for item in rehearsal)
    if total_share >= 1:
        raise FlywheelError(f"the rehearsal ratios add up to {total_share:g}: they must leave room for the data (< 1)")
    final = math.ceil(train_size / (1 - total_share))
    rng = random.Random(seed)
    mixed, counts = [], []
    for item in rehearsal:
        try:
            pool = rehearsal_examples(item.path, kind, item.path.stem)
        except (OSError, ValueError, KeyError) as exc:
            raise FlywheelError(f"rehearsal set {item.path}: {exc}") from exc
        wanted = round(final * item.ratio)
        chosen = rng.sample(pool, min(wanted, len(pool)))
        while len(chosen) < wanted and pool:
            chosen.append(rng.choice(pool))
        mixed += [_renamed(example, number) for number, example in enumerate(chosen)]
        counts.append({"path": str(item.path), "ratio": item.ratio, "examples": len(chosen), "available": len(pool)})
    return mixed, counts


def _renamed(example: Example, number: int) -> Example:
    example = Example(**{**example.__dict__, "lineage": dict(example.lineage)})
    example.id = f"{example.id}#{number}"
    return example

