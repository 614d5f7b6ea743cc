"""The export pipeline: decisions -> examples -> gates -> split -> balance -> rehearsal -> leakage check.

`build_export(store, project, kind, spec, seed, rehearsal)` returns what would be written (rows by
split, the gate reports, the profile, the lineage) without writing anything, so the engineer page
can preview it; `annotate.export.snapshot.write_snapshot` writes it.
"""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from annotate.consensus.conflicts import record_conflicts, settled_conflicts, waiting_for_lead
from annotate.errors import FlywheelError
from annotate.export import gates
from annotate.export.decisions import decisions
from annotate.export.examples import Example
from annotate.export.formats import examples_from, feedback_examples, rehearsal_examples
from annotate.export.profile import quality_profile
from annotate.export.spec import ExportSpec
from annotate.export.frozen import FrozenEval, frozen_eval
from annotate.export.near_duplicates import shared_signatures, verified_pairs
from annotate.export.split import settle_leakage, split
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
                 rehearsal: list[Rehearsal] = (), name: str | None = None) -> ExportPlan:  # fmt: skip
    """What an export would write. With the dataset `name`, the eval prompts of its earlier
    versions stay eval (`spec.split.frozen_eval`): see `annotate.export.frozen`."""
    if kind not in KINDS:
        raise FlywheelError(f"unknown export kind {kind!r}: {', '.join(KINDS)}")
    with paused_gc(), shared_signatures():
        return _build(store, project, kind, spec, seed, rehearsal, name)


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: an export makes millions of small objects and few
    cycles, and each full collection walks all of them (measured: 10 to 15% of a 20,000-task
    export). Reference counting still frees everything; the collector runs again afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(store: Store, project: Project, kind: str, spec: ExportSpec, seed: int, rehearsal: list[Rehearsal],
           name: str | None) -> ExportPlan:  # fmt: skip
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
    examples, report, found = gates.conflicts(examples, spec.conflicts, settled_conflicts(store))
    record_conflicts(store, found)
    report.counts["waiting_for_lead"] = waiting_for_lead(store, kind)
    reports.append(report)
    examples, report = gates.format_failures(examples, spec.formats.enabled, config.validators, project.root)
    reports.append(report)
    examples, report = gates.scrub_pii(examples, spec.pii.enabled, config.pii.entities, config.flagging.pii_min_score,
                                       config.pii.min_scores)
    reports.append(report)
    frozen = frozen_eval(project.root, store.datasets(name)) if name and spec.split.frozen_eval else FrozenEval()
    pinned = _frozen_examples(examples, frozen, spec)
    split(examples, clusters, spec.split.eval_fraction, seed, pinned)
    examples, report = gates.balance(examples, spec.balance, seed)
    reports.append(report)
    train_size = sum(1 for example in examples if example.split == "train")
    added, rehearsal_counts = _mix_rehearsal(kind, train_size, rehearsal, seed)
    added, scrubbed = gates.scrub_pii(added, spec.pii.enabled, config.pii.entities, config.flagging.pii_min_score,
                                      config.pii.min_scores)
    pii_report = next(report for report in reports if report.name == "pii")
    for entity, count in scrubbed.counts.items():
        pii_report.counts[entity] = pii_report.counts.get(entity, 0) + count
    added, leakage = settle_leakage(examples, added, frozen, spec.near_duplicates, spec.split.on_leak, pinned)
    reports.append(gates.GateReport("leakage", True, [], leakage.counts(len(pinned), frozen.versions)))
    train = [example for example in examples if example.split == "train"]
    evaluation = [example for example in examples if example.split == "eval"]
    mixed = train + added
    population = [text for text in (last_user_turn(record["messages"]) for record in records.values()) if text]
    profile = quality_profile(mixed, evaluation, population, seed)
    return ExportPlan(kind, spec, seed, mixed, evaluation, reports, skipped, profile, rehearsal_counts)


def _frozen_examples(examples: list[Example], frozen: FrozenEval, spec: ExportSpec) -> frozenset[str]:
    """Ids of the production examples an earlier version held out: the same record, or a prompt
    that is a near duplicate of one of its eval prompts."""
    if not frozen:
        return frozenset()
    production = [example for example in examples if example.is_production]
    pinned = {example.id for example in production if frozen.record_ids.intersection(example.lineage.get("record_ids") or ())}
    near = spec.near_duplicates
    pairs = verified_pairs([example.prompt_text for example in production], list(frozen.prompts), near.threshold,
                           near.verify_above, near.num_perm)  # fmt: skip
    return frozenset(pinned | {production[query].id for query, _index, _similarity in pairs})


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
    return replace(example, id=f"{example.id}#{number}", lineage=dict(example.lineage))

