"""The train / eval split: held out from production examples only, stratified by failure category,
deterministic given the seed, and group-aware: a paraphrase group or a near-duplicate prompt
cluster is never on both sides. Then a leakage check that fails the export if any eval prompt
still has a near duplicate in train.
"""

from __future__ import annotations

import random
import warnings
from collections import Counter

from annotate.errors import FlywheelError
from annotate.export.examples import Example


class LeakageError(FlywheelError):
    """An eval prompt has a near duplicate in train: the evaluation would not be honest."""


def split(examples: list[Example], clusters: dict[str, int], eval_fraction: float, seed: int) -> list[Example]:
    """Set `split` on each example (rehearsal examples always train). Groups: the union of the
    log's paraphrase group and the near-duplicate prompt cluster."""
    for example in examples:
        example.split = "train"
    production = [example for example in examples if example.is_production]
    if eval_fraction <= 0 or len(production) < 2:
        return examples
    folds = max(2, round(1 / eval_fraction))
    groups = _pooled_singletons(_groups(production, clusters), production, seed, _pool_size(len(production), folds))
    if len(set(groups)) < folds:
        return examples
    from sklearn.model_selection import StratifiedGroupKFold  # scikit-learn loads in a second: only here

    strata = [example.categories[0] if example.categories else "none" for example in production]
    rare = {stratum for stratum, count in Counter(strata).items() if count < folds}
    strata = ["rare" if stratum in rare else stratum for stratum in strata]
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # small categories: sklearn warns that a class has fewer members than folds
        warnings.simplefilter("ignore", UserWarning)
        _train, held_out = next(splitter.split(production, strata, groups))
    for index in held_out:
        production[index].split = "eval"
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


def check_leakage(pairs: list[tuple[str, str, float]]) -> None:
    """Fail loudly when eval prompts have near duplicates in train (pairs from `gates.near_duplicate_pairs`)."""
    if pairs:
        shown = "; ".join(f"eval {a} ~ train {b} ({score:.2f})" for a, b, score in pairs[:10])
        raise LeakageError(f"{len(pairs)} eval prompts have a near duplicate in train: {shown}. The export was not written")
