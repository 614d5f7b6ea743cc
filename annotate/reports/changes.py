"""How far the store's data has moved: the count a page keys its cached views by (`annotate.ui.cached`).

Two reads that give the same count saw the same records, flags, model signals, tasks, answers,
decisions, people, pauses, rounds, conflicts and snapshots; the count is kept by the store's
triggers (`create_change_counter`), so writes from any process, the CLI and Label Studio pulls
included, move it.
"""

from __future__ import annotations

from annotate.store import Store


def review_data_version(store: Store) -> int:
    return store.change_count()
