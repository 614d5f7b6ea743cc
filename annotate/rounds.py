"""Rounds of the loop: one is open at a time, and everything ingested belongs to it."""

from __future__ import annotations

from annotate.errors import RoundError
from annotate.store import Store


def start_round(store: Store, name: str | None = None, model: str | None = None) -> dict:
    """Close the open round and open a new one (named `round-N` unless a name is given)."""
    name = name or f"round-{store.next_round_number()}"
    if not name.strip():
        raise RoundError("a round name must not be empty")
    if store.round_named(name) is not None:
        raise RoundError(f"a round named {name!r} exists already; pick another name")
    return store.insert_round_closing_others(name, model)


def current_round(store: Store) -> dict:
    """The open round, opening `round-1` on a store that has none (a database made by hand)."""
    return store.open_round() or start_round(store)


def list_rounds(store: Store) -> list[dict]:
    return store.rounds_with_counts()
