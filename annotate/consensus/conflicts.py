"""Conflicts across tasks: experts answered near-identical prompts in ways that contradict (the
export's conflict gate finds them, in every kind). The export leaves them out and records them
here; they wait in the lead's adjudication queue until settled:
- every task in the conflict is decided by a lead after it was found (pick, merge or write the
  right answer for each: the lead has seen the pair), or
- a lead dismisses it with a reason (the prompts differ in a way that matters).
A settled conflict's examples are exported again; a new contradicting answer to the same prompt
makes a new conflict. (Rows without a task, KTO's production thumbs, can only be dismissed.)
"""

from __future__ import annotations

import json

from annotate.clock import utc_now_text
from annotate.store import Store
from annotate.store.conflicts import StoredConflict
from annotate.store.rows import Adjudication


def record_conflicts(store: Store, groups) -> int:
    """Store the conflict groups the gate found (`annotate.export.gates.ConflictGroup`s) that are
    not stored yet; returns how many were new."""
    if not groups:
        return 0
    found_at = utc_now_text()
    rows = [{"kind": group.kind, "example_ids": json.dumps(list(group.example_ids)),
             "task_ids": json.dumps(list(group.task_ids)), "detail": group.detail, "found_at": found_at}
            for group in groups]  # fmt: skip
    with store.transaction():
        return store.insert_conflicts(rows)


def decided_since_found(conflict: StoredConflict, task_id: int, decisions: dict[int, Adjudication]) -> bool:
    """Whether a lead decided the task after the conflict was found (so saw it)."""
    decision = decisions.get(task_id)
    return decision is not None and decision.created_at >= conflict.found_at


def settled(conflict: StoredConflict, decisions: dict[int, Adjudication]) -> bool:
    """Dismissed, or every one of its tasks decided by a lead since it was found."""
    if conflict.dismissed_at:
        return True
    return bool(conflict.task_ids) and all(decided_since_found(conflict, task_id, decisions) for task_id in conflict.task_ids)


def settled_conflicts(store: Store, decisions: dict[int, Adjudication] | None = None) -> frozenset[tuple[str, tuple[str, ...]]]:
    """(kind, example ids) of every settled conflict: the conflict gate lets these through.
    `decisions`: the standing adjudications, when the caller has them already."""
    decisions = store.latest_adjudications() if decisions is None else decisions
    return frozenset((c.kind, c.example_ids) for c in store.conflicts() if settled(c, decisions))


def waiting_conflicts(store: Store, decisions: dict[int, Adjudication] | None = None) -> list[StoredConflict]:
    """Conflicts a lead has not settled yet, oldest first."""
    decisions = store.latest_adjudications() if decisions is None else decisions
    return [conflict for conflict in store.conflicts() if not settled(conflict, decisions)]


def waiting_for_lead(store: Store, kind: str) -> int:
    """How many unsettled conflicts of an export kind (sft, dpo, kto) wait in the lead's queue."""
    return sum(1 for conflict in waiting_conflicts(store) if conflict.kind.split(":")[0] == kind)
