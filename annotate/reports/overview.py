"""The store overview: what has come in, from where, what users thought of it, what was flagged
and what waits in the experts' queue: the review app's overview page for leads and engineers.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotate.clock import utc_now_text
from annotate.records import last_user_turn
from annotate.store import Store


@dataclass(frozen=True)
class StoreOverview:
    total_records: int
    open_round: dict | None
    rounds: list[dict]
    by_source_and_model: list[dict]
    feedback: dict[str, int]
    ratings: list[dict]
    recent_ingests: list[dict]
    flags: list[dict]
    preference_candidates: dict[str, int]
    queue: list[dict]
    queue_head: list[dict]


def store_overview(store: Store, recent: int = 10) -> StoreOverview:
    feedback = {key: value or 0 for key, value in store.feedback_mix().items()}
    return StoreOverview(
        total_records=feedback["records"],
        open_round=store.open_round(),
        rounds=store.rounds_with_counts(),
        by_source_and_model=store.records_by_source_and_model(),
        feedback=feedback,
        ratings=store.rating_histogram(),
        recent_ingests=store.recent_ingests(recent),
        flags=store.flag_counts(),
        preference_candidates=store.preference_candidate_counts(),
        queue=queue_counts(store),
        queue_head=[_with_prompt(task) for task in store.top_open_tasks(recent)],
    )


def queue_counts(store: Store) -> list[dict]:
    """Slots by task kind and route, now: open, claimed, overdue (lease lapsed, not yet returned), done."""
    return store.queue_counts(utc_now_text("milliseconds"))


@dataclass
class FlagTotals:
    """What the store holds after flagging: per reason, flagged records and their mean score; and
    preference candidates per origin."""

    by_reason: dict[str, dict]
    preference_candidates: dict[str, int]


def flag_totals(store: Store) -> FlagTotals:
    return FlagTotals({row["reason"]: row for row in store.flag_counts()}, store.preference_candidate_counts())


def _with_prompt(task: dict) -> dict:
    task["prompt"] = last_user_turn(task.pop("messages"))
    return task
