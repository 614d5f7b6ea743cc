"""The lead's queue: every task that needs a lead's eye, each with its reason, and the conflicts
between production feedback that only a lead can dismiss.

- `adjudication_queue(store, config, filters)`: one row per task: `task_id`, `kind`, `n_answers`,
  `reason` (in words), `reason_kind` (a key of `REASON_KINDS`), `agreement` (the share of answers
  that agree with the leading value), `round`, `first_answer` (ISO time), `conflict_id`, `prompt`.
  The reasons: a split resolution could not decide, corrected texts that diverge, a conflict the
  export found with other tasks' answers, and a decision by a thin majority (`low agreement`:
  fewer than `[resolution] low_agreement_below` of the answers agree; the decision stands until
  a lead decides).
- `feedback_conflicts(store)`: unsettled conflicts with no task (production thumbs only): the
  export leaves them out until a lead dismisses them, so the queue shows them too.
- `QueueFilter` and `filter_queue(queue, how)`: search, reason kind, task kind, round; sorted by
  one of `SORTS`. The pages and the CLI filter what the domain built; they decide nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from annotate.config import ProjectConfig
from annotate.consensus.answer_table import AnswerFilter, answer_frame
from annotate.consensus.conflicts import decided_since_found, waiting_conflicts
from annotate.consensus.resolution import NEEDS_ADJUDICATION, RESOLVED, resolve
from annotate.store import Store
from annotate.store.conflicts import StoredConflict
from annotate.store.rows import Adjudication

REASON_KINDS = {  # reason_kind -> how the pages name it
    "conflict": "Conflict with other tasks",
    "disagreement": "Answers split",
    "diverging": "Corrected texts diverge",
    "low_agreement": "Low agreement",
    "review_all": "Every overlapping task",
}
SORTS = {"most_answers": "Most answers", "lowest_agreement": "Lowest agreement", "oldest": "Oldest first"}
COLUMNS = ["task_id", "kind", "n_answers", "reason", "reason_kind", "agreement", "round", "first_answer", "conflict_id",
           "prompt"]  # fmt: skip
LOW_AGREEMENT_METHODS = ("majority", "weighted")  # decisions that can rest on a thin share of the answers


def adjudication_queue(store: Store, config: ProjectConfig, filters: AnswerFilter = AnswerFilter()) -> pd.DataFrame:
    """Tasks waiting for a lead (see the module docstring), most answers first."""
    frame = answer_frame(store, filters)
    decisions = store.latest_adjudications()
    resolution = resolve(frame, config.resolution, decisions)
    per_task = _task_facts(frame, resolution, store)
    waiting = resolution[resolution["status"] == NEEDS_ADJUDICATION]
    queued = {task_id: {"task_id": task_id, "kind": kind, "n_answers": int(n_answers), "reason": reason,
                        "reason_kind": _reason_kind(reason), "conflict_id": None}
              for task_id, kind, n_answers, reason in zip(waiting.index, waiting["kind"], waiting["n_answers"], waiting["reason"])}  # fmt: skip
    for row in _conflict_rows(store, decisions):
        if row["task_id"] not in resolution.index:  # outside the filters
            continue
        if row["task_id"] in queued:  # already waiting: both reasons, the conflict named
            known = queued[row["task_id"]]
            known.update(reason=f"{known['reason']}; {row['reason']}", reason_kind="conflict", conflict_id=row["conflict_id"])
            continue
        task = resolution.loc[row["task_id"]]
        queued[row["task_id"]] = {**row, "kind": task["kind"], "n_answers": int(task["n_answers"]), "reason_kind": "conflict"}
    below = config.resolution.low_agreement_below
    thin = resolution[(resolution["status"] == RESOLVED) & resolution["method"].isin(LOW_AGREEMENT_METHODS)]
    shares = per_task["agreement"].reindex(thin.index).to_numpy(dtype=float)  # NaN: no share, never "low"
    is_low = (shares < below) & ~thin.index.isin(list(queued))
    low = thin[is_low]
    for task_id, kind, n_answers, value, method, share in zip(
        low.index, low["kind"], low["n_answers"], low["value"], low["method"], shares[is_low]
    ):
        queued[task_id] = {"task_id": task_id, "kind": kind, "n_answers": int(n_answers),
                           "reason": f"low agreement: {share:.0%} of {int(n_answers)} answers say "
                                     f"'{value}' (decided by {method}; the queue takes tasks under "
                                     f"{below:.0%}); the decision stands until you decide",
                           "reason_kind": "low_agreement", "conflict_id": None}  # fmt: skip
    queue = pd.DataFrame(list(queued.values()), columns=COLUMNS)
    queue["conflict_id"] = queue["conflict_id"].astype("Int64")
    if queue.empty:
        return queue
    for name in ("agreement", "round", "first_answer"):
        queue[name] = queue["task_id"].map(per_task[name])
    queue["prompt"] = queue["task_id"].map(store.task_prompts(queue["task_id"].tolist()))
    return queue.sort_values(["n_answers", "task_id"], ascending=[False, True]).reset_index(drop=True)


def _task_facts(frame: pd.DataFrame, resolution: pd.DataFrame, store: Store) -> pd.DataFrame:
    """Per task: the share of answers giving the leading (or decided) value, the round's name and
    the time of the first answer."""
    if frame.empty:
        return pd.DataFrame(columns=["agreement", "round", "first_answer"])
    grouped = frame.groupby("task_id", observed=True)
    counts = frame.groupby(["task_id", "main"], observed=True).size()
    leading = counts.groupby(level=0).max()
    agreement = leading / grouped.size()
    rounds = {row["id"]: row["name"] for row in store.rounds()}
    return pd.DataFrame({
        "agreement": agreement,
        "round": grouped["round_id"].first().map(rounds),
        "first_answer": grouped["created_at"].min().dt.strftime("%Y-%m-%d %H:%M"),
    })  # fmt: skip


def _reason_kind(reason: str) -> str:
    if "diverge" in reason:
        return "diverging"
    if reason.startswith("unanimous"):
        return "review_all"
    return "disagreement"


def _conflict_rows(store: Store, decisions: dict[int, Adjudication]) -> list[dict]:
    """One row per task of each unsettled conflict that no lead has decided since it was found."""
    rows = []
    for conflict in waiting_conflicts(store, decisions):
        for task_id in conflict.task_ids:
            if decided_since_found(conflict, task_id, decisions):
                continue
            others = [f"#{other}" for other in conflict.task_ids if other != task_id]
            against = f"task {', '.join(others)}" if others else "production feedback"
            rows.append({"task_id": task_id, "conflict_id": conflict.id,
                         "reason": f"conflict {conflict.id} ({conflict.kind}): {conflict.detail} with {against} "
                                   "on a near-identical prompt; decide each task, or dismiss the conflict"})  # fmt: skip
    return rows


@dataclass(frozen=True)
class FeedbackExample:
    """One side of a feedback-only conflict: a production record the user rated."""

    example_id: str
    prompt: str
    response: str
    thumbs: str | None


@dataclass(frozen=True)
class FeedbackConflict:
    conflict: StoredConflict
    examples: list[FeedbackExample] = field(default_factory=list)


def feedback_conflicts(store: Store) -> list[FeedbackConflict]:
    """Unsettled conflicts with no task to decide: production answers the users rated, which
    contradict each other on a near-identical prompt. Only a dismissal settles them."""
    waiting = [conflict for conflict in waiting_conflicts(store) if not conflict.task_ids]
    ids = [example[3:] for conflict in waiting for example in conflict.example_ids if example.startswith("fb:")]
    records = store.records_by_id(ids) if ids else {}
    found = []
    for conflict in waiting:
        examples = []
        for example in conflict.example_ids:
            record = records.get(example[3:]) if example.startswith("fb:") else None
            if record is not None:
                users = [message.get("content") or "" for message in record["messages"] if message.get("role") == "user"]
                examples.append(FeedbackExample(example, users[-1] if users else "", record["response"] or "",
                                                record.get("feedback_thumbs")))  # fmt: skip
        found.append(FeedbackConflict(conflict, examples))
    return found


@dataclass(frozen=True)
class QueueFilter:
    """What a lead narrows the queue to: words in the prompt, reason or task id; reason kinds,
    task kinds and rounds (empty: all); task ids (from a figure on the Agreement page); the order."""

    search: str = ""
    reason_kinds: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    rounds: tuple[str, ...] = ()
    task_ids: tuple[int, ...] = ()
    sort: str = "most_answers"


def filter_queue(queue: pd.DataFrame, how: QueueFilter) -> pd.DataFrame:
    """The queue's rows that `how` keeps, in its order."""
    if queue.empty:
        return queue
    keep = pd.Series(True, index=queue.index)
    if how.search.strip():
        words = how.search.strip().lower()
        text = (queue["task_id"].astype(str).radd("#") + " " + queue["prompt"].fillna("") + " " + queue["reason"]).str.lower()
        keep &= text.str.contains(words, regex=False)
    for column, chosen in (("reason_kind", how.reason_kinds), ("kind", how.kinds), ("round", how.rounds)):
        if chosen:
            keep &= queue[column].isin(chosen)
    if how.task_ids:
        keep &= queue["task_id"].isin(how.task_ids)
    kept = queue[keep]
    if how.sort == "lowest_agreement":
        kept = kept.sort_values(["agreement", "task_id"], na_position="last")
    elif how.sort == "oldest":
        kept = kept.sort_values(["first_answer", "task_id"], na_position="last")
    else:
        kept = kept.sort_values(["n_answers", "task_id"], ascending=[False, True])
    return kept.reset_index(drop=True)
