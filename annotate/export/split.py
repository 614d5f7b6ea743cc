"""The train / eval split: held out from production examples only, stratified by failure category,
deterministic given the seed, and group-aware: a paraphrase group or a near-duplicate prompt
cluster is never on both sides, and the frozen held-out set of earlier versions stays eval. Then
a leakage check that fails the export (or re-splits, by option) if any eval prompt, this export's
or an earlier version's, still has a near duplicate in train.
"""

from __future__ import annotations

import random
import warnings
from collections import Counter
from dataclasses import dataclass, field

from annotate.errors import FlywheelError
from annotate.export.examples import Example
from annotate.export.frozen import FrozenEval
from annotate.export.near_duplicates import verified_pairs
from annotate.export.spec import NearDuplicates


class LeakageError(FlywheelError):
    """An eval prompt has a near duplicate in train: the evaluation would not be honest."""


def split(examples: list[Example], clusters: dict[str, int], eval_fraction: float, seed: int,
          pinned_eval: frozenset[str] = frozenset()) -> list[Example]:  # fmt: skip
    """Set `split` on each example (rehearsal examples always train). Groups: the union of the
    log's paraphrase group and the near-duplicate prompt cluster. Examples in `pinned_eval` (the
    frozen held-out set of earlier versions), with their groups, are eval; the rest are split so
    that eval is about `eval_fraction` of the production examples in all."""
    for example in examples:
        example.split = "train"
    production = [example for example in examples if example.is_production]
    if not production:
        return examples
    groups = _groups(production, clusters)
    pinned_groups = {groups[i] for i, example in enumerate(production) if example.id in pinned_eval}
    free = []
    for i, example in enumerate(production):
        if groups[i] in pinned_groups:
            example.split = "eval"
        else:
            free.append(i)
    wanted = eval_fraction * len(production) - (len(production) - len(free))
    if wanted <= 0 or len(free) < 2:
        return examples
    fraction = min(wanted / len(free), 0.5)
    rest = [production[i] for i in free]
    folds = max(2, round(1 / fraction))
    rest_groups = _pooled_singletons([groups[i] for i in free], rest, seed, _pool_size(len(rest), folds))
    if len(set(rest_groups)) < folds:
        return examples
    from sklearn.model_selection import StratifiedGroupKFold  # scikit-learn loads in a second: only here

    strata = [example.categories[0] if example.categories else "none" for example in rest]
    rare = {stratum for stratum, count in Counter(strata).items() if count < folds}
    strata = ["rare" if stratum in rare else stratum for stratum in strata]
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # small categories: sklearn warns that a class has fewer members than folds
        warnings.simplefilter("ignore", UserWarning)
        _train, held_out = next(splitter.split(rest, strata, rest_groups))
    for index in held_out:
        rest[index].split = "eval"
    return examples


def _pool_size(examples: int, folds: int, largest: int = 20) -> int:
    """Singletons per pooled group: 20 for large exports, fewer for small ones, so even a small
    export has groups enough for every fold (about two folds' worth of groups per fold) and holds
    out its eval share instead of nothing."""
    return max(1, min(largest, examples // (2 * folds)))


def _pooled_singletons(groups: list[int], examples: list[Example], seed: int, pool: int = 20) -> list[int]:
    """Examples alone in their group, pooled (seeded, within one category) into groups of about
    `pool`: StratifiedGroupKFold tries every group against every fold, and 100,000 groups of one
    cost it 15 s; pooling units that belong to nobody changes nothing the split promises."""
    sizes = Counter(groups)
    rng = random.Random(seed)
    offset = max(groups, default=0) + 1
    by_category: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        if sizes[group] == 1:
            by_category.setdefault(examples[index].categories[0] if examples[index].categories else "none", []).append(index)
    pooled = list(groups)
    for members in by_category.values():
        rng.shuffle(members)
        for position, index in enumerate(members):
            pooled[index] = offset + position // pool
        offset += len(members) // pool + 1
    return pooled


def _groups(examples: list[Example], clusters: dict[str, int]) -> list[int]:
    """One group id per example: examples sharing a paraphrase group or a prompt cluster, transitively."""
    parent = list(range(len(examples)))

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    first_of: dict[tuple[str, object], int] = {}
    for index, example in enumerate(examples):
        keys = [("cluster", clusters.get(example.id))] + ([("group", example.group)] if example.group else [])
        keys.append(("task", example.lineage.get("task_id")))
        for key in keys:
            if key[1] is None:
                continue
            if key in first_of:
                parent[find(index)] = find(first_of[key])
            else:
                first_of[key] = index
    return [find(index) for index in range(len(examples))]


@dataclass
class Leakage:
    """What the leakage check found and did: pairs are (eval id or "held out in vN", train id, similarity)."""

    found: list[tuple[str, str, float]] = field(default_factory=list)
    checked: int = 0  # eval prompts compared (this export's and the frozen ones)
    against: int = 0  # train prompts they were compared with (rehearsal rows included)
    moved_to_train: list[str] = field(default_factory=list)  # eval examples with a near duplicate in train
    moved_to_eval: list[str] = field(default_factory=list)  # train examples near an earlier version's eval prompt
    rehearsal_left_out: list[str] = field(default_factory=list)  # rehearsal rows near an eval prompt

    def counts(self, pinned: int, frozen_versions: tuple[int, ...]) -> dict:
        return {"checked": self.checked, "against": self.against, "pairs_found": len(self.found), "moved_to_train": len(self.moved_to_train),
                "moved_to_eval": len(self.moved_to_eval), "rehearsal_left_out": len(self.rehearsal_left_out),
                "pinned_to_eval": pinned, "frozen_from_versions": list(frozen_versions)}  # fmt: skip


def settle_leakage(examples: list[Example], rehearsal: list[Example], frozen: FrozenEval, spec: NearDuplicates,
                   on_leak: str, pinned_eval: frozenset[str] = frozenset()) -> tuple[list[Example], Leakage]:  # fmt: skip
    """Look for eval prompts (this export's, and the frozen ones of earlier versions) with a near
    duplicate in train (rehearsal rows included), by the gates' one definition. `on_leak` "fail":
    raise `LeakageError` naming the pairs. "resplit": an eval example that must stay eval (in
    `pinned_eval`, the frozen set, or a frozen prompt itself) pulls its train near duplicate into
    eval (pinned from then on; a rehearsal row is left out instead); any other eval example moves to
    train. Then look again until nothing straddles: an example moves to train at most once and into
    eval at most once, so this ends. Returns the rehearsal rows kept and what was done."""
    report = Leakage()
    pinned = set(pinned_eval)
    while True:
        evaluation = [example for example in examples if example.split == "eval"]
        train = [example for example in examples if example.split == "train"] + rehearsal
        queries = [example.prompt_text for example in evaluation] + list(frozen.prompts)
        report.checked, report.against = len(queries), len(train)
        pairs = verified_pairs(queries, [example.prompt_text for example in train], spec.threshold,
                               spec.verify_above, spec.num_perm)  # fmt: skip
        if not pairs:
            return rehearsal, report
        named = [(evaluation[q].id if q < len(evaluation) else f"held out in v{','.join(map(str, frozen.versions))}",
                  train[i].id, similarity) for q, i, similarity in pairs]  # fmt: skip
        report.found += named
        if on_leak != "resplit":
            shown = "; ".join(f"eval {a} ~ train {b} ({score:.2f})" for a, b, score in named[:10])
            raise LeakageError(f"{len(pairs)} eval prompts have a near duplicate in train: {shown}. The export was not "
                               "written ([split] on_leak = \"resplit\" moves them instead)")  # fmt: skip
        leaving: set[int] = set()
        for q, i, _ in pairs:
            other = train[i]
            if q >= len(evaluation) or evaluation[q].id in pinned:  # the eval side stays: pull the other in
                if not other.is_production:
                    leaving.add(id(other))
                elif other.split == "train":
                    other.split = "eval"
                    pinned.add(other.id)
                    report.moved_to_eval.append(other.id)
            elif evaluation[q].split == "eval":
                evaluation[q].split = "train"
                report.moved_to_train.append(evaluation[q].id)
        report.rehearsal_left_out += [example.id for example in rehearsal if id(example) in leaving]
        rehearsal = [example for example in rehearsal if id(example) not in leaving]
