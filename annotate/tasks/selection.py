"""Selection: which flagged records become expert tasks, chosen to be informative *and* diverse.

Priority is the weighted sum of a candidate's flag scores (weights from `[flagging.weights]`),
or, with learned weights (`annotate.tasks.learned_weights`), the probability a logistic model
fitted to the experts' verdicts gives that they will confirm a problem.
Candidates are clustered by their prompt (TF-IDF, k-means, about sqrt(n) clusters); the budget
is shared between clusters in proportion to their priority mass, with every cluster (best first)
getting at least one task while the budget lasts, and each cluster giving its top candidates.
So fifty near-identical failures cannot eat the budget, and the report says how many clusters
the batch covers against a plain top-N-by-priority pick of the same size.

Tasks get the overlap policy (a share of them go to several annotators, for agreement) and gold
items (known answers, at the configured rate, with priorities drawn from the batch's own so
they are indistinguishable). Preference tasks show their two responses in random order; the
mapping to records is stored on the task.

Spot checks (`spot_check` tasks of a correction batch) are records drawn at random (seeded by the
selection's seed) from the production records nobody flagged, so the report can measure the
failure rate of the unflagged instead of assuming it is 0. Like gold items, they take
priorities drawn from the batch's own and say nothing to the expert about how they were chosen
(the draw, its seed and its pool are recorded in the task's `why`, which leads see).
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field

from annotate.config import ProjectConfig
from annotate.errors import SelectionError
from annotate.project import current_round
from annotate.records import last_user_turn
from annotate.reports.flag_precision import SPOT_CHECK
from annotate.store import Store
from annotate.tasks.learned_weights import LearnedWeights
from annotate.text.prompt_clusters import cluster_prompts

KINDS = ("correction", "preference")
ROUTES = ("app", "labelstudio")


@dataclass
class Candidate:
    record_id: str
    record_b_id: str | None
    origin: str
    priority: float
    why: str
    prompt: str
    reasons: dict[str, float]
    cluster: int = -1


@dataclass
class SelectionReport:
    kind: str
    route: str
    candidates: int
    clusters: int
    selected: list[Candidate] = field(default_factory=list)
    top_n_clusters_covered: int = 0
    gold: int = 0
    with_overlap: int = 0
    spot_checks_asked: int = 0
    spot_checks: int = 0
    spot_check_pool: int = 0  # unflagged records the spot checks were drawn from
    task_ids: list[int] = field(default_factory=list)

    @property
    def clusters_covered(self) -> int:
        return len({candidate.cluster for candidate in self.selected})

    def by_reason(self) -> Counter:
        return Counter(reason for candidate in self.selected for reason in candidate.reasons)

    def by_cluster(self) -> Counter:
        return Counter(candidate.cluster for candidate in self.selected)


def select_tasks(
    store: Store,
    config: ProjectConfig,
    *,
    budget: int,
    kind: str = "correction",
    route: str = "app",
    round_id: int | None = None,
    seed: int = 0,
    learned: LearnedWeights | None = None,
    spot_check: int = 0,
) -> SelectionReport:
    """Create up to `budget` tasks of `kind` (gold items and `spot_check` spot checks included) and
    report what was chosen and why. `learned`: rank by learned weights instead of the configured."""
    if budget < 1:
        raise SelectionError("the budget must be at least 1 task")
    if kind not in KINDS:
        raise SelectionError(f"unknown task kind {kind!r}; kinds: {', '.join(KINDS)}")
    if route not in ROUTES:
        raise SelectionError(f"unknown route {route!r}; routes: {', '.join(ROUTES)}")
    rng = random.Random(seed)
    candidates = _candidates(store, config, kind, round_id, learned)
    n_gold_wanted = round(budget * config.overlap.gold_rate)
    gold_pool = store.gold_pool(kind)
    n_gold = min(n_gold_wanted, len(gold_pool))
    _check_spot_check(spot_check, kind, budget - n_gold)
    spot_pool = store.unflagged_records(round_id) if spot_check else []
    spot_drawn = random.Random(f"spot-check/{seed}").sample(spot_pool, min(spot_check, len(spot_pool)))
    clusters = _cluster(candidates, seed)
    chosen = pick_diverse(candidates, budget - n_gold - len(spot_drawn))
    report = SelectionReport(kind, route, len(candidates), clusters, chosen, spot_checks_asked=spot_check,
                             spot_checks=len(spot_drawn), spot_check_pool=len(spot_pool))  # fmt: skip
    report.top_n_clusters_covered = len({c.cluster for c in top_n(candidates, len(chosen))})
    rows = [_task_row(candidate, kind, route, config, rng) for candidate in chosen]
    if spot_drawn:  # among the batch in priority order, so their ids say nothing either
        rows = sorted(rows + _spot_check_rows(spot_drawn, len(spot_pool), route, config, seed, rows), key=lambda r: -r["priority"])
    _apply_overlap(rows, config, rng)
    report.with_overlap = sum(row["required_annotations"] > config.overlap.annotations_per_task for row in rows)
    gold_rows = [_gold_row(gold, kind, route, config, rng, rows) for gold in rng.sample(gold_pool, n_gold)]
    report.gold = len(gold_rows)
    round_id = round_id or current_round(store)["id"]
    for row in rows + gold_rows:
        row["round_id"] = round_id
    report.task_ids = store.insert_tasks(_in_priority_order(rows + gold_rows, seed))
    return report


def _in_priority_order(rows: list[dict], seed: int) -> list[dict]:
    """The batch in priority order, equal priorities in a seeded random order: a gold item or a spot
    check (whose priority is copied from another task) gets an id among the others', never the last ones."""
    tie_break = random.Random(f"task-order/{seed}")
    return [row for _, _, row in sorted((-row["priority"], tie_break.random(), row) for row in rows)]


def priority_of(reasons: dict[str, float], config: ProjectConfig, learned: LearnedWeights | None = None) -> tuple[float, str]:
    """Weighted sum of flag scores, and how it was made ("negative_feedback 1.0×1.00 + ..."); with
    `learned`, the learned model's probability of a confirmed problem instead."""
    if learned is not None:
        return learned.explain(reasons)
    weights = config.flagging.weights.model_dump()
    parts = sorted(((weights.get(reason, 0.0) * score, reason, score) for reason, score in reasons.items()), reverse=True)
    total = sum(part for part, _, _ in parts)
    why = " + ".join(f"{reason} {weights.get(reason, 0.0):g}×{score:.2f}" for _, reason, score in parts)
    return total, why


def pick_diverse(candidates: list[Candidate], budget: int) -> list[Candidate]:
    """Up to `budget` candidates: cluster quotas by priority mass, at least one per cluster, best first."""
    if budget <= 0 or not candidates:
        return []
    by_cluster: dict[int, list[Candidate]] = {}
    for candidate in sorted(candidates, key=lambda c: (-c.priority, c.record_id)):
        by_cluster.setdefault(candidate.cluster, []).append(candidate)
    order = sorted(by_cluster, key=lambda cluster: -by_cluster[cluster][0].priority)
    quotas = {cluster: 0 for cluster in order}
    for cluster in order[:budget]:
        quotas[cluster] = 1
    remaining = min(budget, len(candidates)) - sum(quotas.values())
    if remaining > 0:
        mass = {cluster: sum(c.priority for c in by_cluster[cluster][quotas[cluster]:]) for cluster in order}
        total = sum(mass.values()) or 1.0
        shares = {cluster: remaining * mass[cluster] / total for cluster in order}
        for cluster in order:
            quotas[cluster] += int(shares[cluster])
        leftovers = sorted(order, key=lambda cluster: -(shares[cluster] - int(shares[cluster])))
        for cluster in leftovers[: remaining - sum(int(share) for share in shares.values())]:
            quotas[cluster] += 1
    chosen, spill = [], []
    for cluster in order:
        members = by_cluster[cluster]
        chosen += members[: quotas[cluster]]
        spill += members[quotas[cluster] :]
    spill.sort(key=lambda c: (-c.priority, c.record_id))
    chosen += spill[: budget - len(chosen)]  # clusters smaller than their quota leave budget over
    return sorted(chosen, key=lambda c: (-c.priority, c.record_id))


def top_n(candidates: list[Candidate], n: int) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (-c.priority, c.record_id))[:n]


def _candidates(store: Store, config: ProjectConfig, kind: str, round_id: int | None,
                learned: LearnedWeights | None) -> list[Candidate]:  # fmt: skip
    if kind == "correction":
        rows = store.correction_candidates(round_id)
        result = []
        for row in rows:
            reasons = _parse_flags(row["flags"])
            priority, why = priority_of(reasons, config, learned)
            result.append(Candidate(row["record_id"], None, "flagged", priority, why, _prompt(row["messages"]), reasons))
        return result
    result = []
    weights = config.flagging.weights
    for row in store.preference_candidates_open(round_id):
        flagged = max(priority_of(_parse_flags(row["flags"]), config, learned)[0],
                      priority_of(_parse_flags(row["flags_b"]), config, learned)[0])
        base = weights.inconsistency * row["score"] if row["origin"] == "inconsistency" else row["score"]
        priority = base + 0.5 * flagged
        why = f"{row['detail']}; pair priority {base:.2f} + 0.5 × flags {flagged:.2f}"
        reasons = {row["origin"]: row["score"]}
        result.append(Candidate(row["record_id"], row["record_b_id"], row["origin"], priority, why, _prompt(row["messages"]), reasons))
    return result


def _parse_flags(text: str | None) -> dict[str, float]:
    if not text:
        return {}
    pairs = (item.rsplit("=", 1) for item in text.split(","))
    return {reason: float(score) for reason, score in pairs}


def _prompt(messages: str) -> str:
    return last_user_turn(json.loads(messages))


def _cluster(candidates: list[Candidate], seed: int) -> int:
    """Assign each candidate a prompt cluster (TF-IDF + k-means, about sqrt(n) clusters)."""
    if not candidates:
        return 0
    clusters = cluster_prompts([c.prompt for c in candidates], round(math.sqrt(len(candidates))), seed)
    for candidate, label in zip(candidates, clusters.labels):
        candidate.cluster = int(label)
    return clusters.count


def _task_row(candidate: Candidate, kind: str, route: str, config: ProjectConfig, rng: random.Random) -> dict:
    record_id, record_b_id = candidate.record_id, candidate.record_b_id
    if record_b_id is not None and rng.random() < 0.5:
        record_id, record_b_id = record_b_id, record_id  # display order A/B is random; the task keeps the mapping
    return {
        "kind": kind, "record_id": record_id, "record_b_id": record_b_id, "origin": candidate.origin,
        "priority": round(candidate.priority, 4), "why": candidate.why, "cluster": candidate.cluster,
        "required_annotations": config.overlap.annotations_per_task, "is_gold": 0, "gold_answer": None, "route": route,
    }  # fmt: skip


def _apply_overlap(rows: list[dict], config: ProjectConfig, rng: random.Random) -> None:
    """A share of tasks (`agreement_share`) go to `agreement_annotators` people, so agreement can be measured."""
    wanted = config.overlap.agreement_annotators
    if wanted <= config.overlap.annotations_per_task or not rows:
        return
    for row in rng.sample(rows, round(len(rows) * config.overlap.agreement_share)):
        row["required_annotations"] = wanted


def spot_check_count(text: str, budget: int) -> int:
    """`--spot-check`: a number of tasks ("5") or a share of the budget ("10%", rounded)."""
    value = text.strip()
    share = value.endswith("%")
    try:
        number = float(value[:-1]) if share else int(value)
    except ValueError:
        raise SelectionError(f"--spot-check {text!r}: give a number of tasks (5) or a share of the budget (10%)") from None
    if not (0 <= number <= 100 if share else number >= 0):
        raise SelectionError(f"--spot-check {text!r}: must be a count of 0 or more, or a share from 0% to 100%")
    return round(budget * number / 100) if share else int(number)


def _check_spot_check(spot_check: int, kind: str, room: int) -> None:
    if spot_check and kind != "correction":
        raise SelectionError("spot checks are correction tasks (an unflagged record has no second answer to compare): "
                             "use --spot-check with --kind correction")  # fmt: skip
    if spot_check > room:
        raise SelectionError(f"--spot-check asks for {spot_check} tasks but the budget leaves room for {room} "
                             "once gold items are in: raise --budget or lower --spot-check")  # fmt: skip


def _spot_check_rows(drawn: list[str], pool: int, route: str, config: ProjectConfig, seed: int, batch: list[dict]) -> list[dict]:
    rng = random.Random(f"spot-check-priority/{seed}")
    return [{
        "kind": "correction", "record_id": record_id, "record_b_id": None, "origin": SPOT_CHECK,
        "priority": _hidden_priority(rng, batch), "why": f"spot check: drawn at random (seed {seed}) from {pool:,} unflagged records",
        "cluster": None, "required_annotations": config.overlap.annotations_per_task, "is_gold": 0, "gold_answer": None, "route": route,
    } for record_id in drawn]  # fmt: skip


def _hidden_priority(rng: random.Random, batch: list[dict]) -> float:
    """A priority drawn from the batch's own, so a task chosen another way sits among them unseen."""
    return rng.choice([row["priority"] for row in batch] or [1.0])


def _gold_row(gold: dict, kind: str, route: str, config: ProjectConfig, rng: random.Random, batch: list[dict]) -> dict:
    record_id, record_b_id = gold["record_id"], gold["record_b_id"]
    return {
        "kind": kind, "record_id": record_id, "record_b_id": record_b_id, "origin": "gold",
        "priority": _hidden_priority(rng, batch), "why": "", "cluster": None,
        "required_annotations": max(config.overlap.agreement_annotators, config.overlap.annotations_per_task),
        "is_gold": 1, "gold_answer": gold["answer"], "route": route,
    }  # fmt: skip
