"""The store overview: what has come in, from where, and what users thought of it.

An honest summary for the review app's first page while the expert workspaces are being built.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    )
