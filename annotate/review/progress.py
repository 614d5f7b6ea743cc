"""How far an expert is through their part of the open round: what the progress bar on *Correct*
and *Compare* shows.

`round_progress(store, annotator, kind)` counts, among the tasks of the open round (of every
round when none is open) of that kind routed to the app, the tasks the expert has answered
(`done`) and the open tasks still theirs to do (`left`): the one they hold, and every task
with a free slot they have neither answered nor skipped. A skipped task counts as neither. The
share done is `done / (done + left)`; a round with nothing for the expert is complete.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotate.review.annotators import active_annotator
from annotate.store import Store


@dataclass(frozen=True)
class RoundProgress:
    round_name: str | None  # None: no round is open, every round counted
    done: int
    left: int

    @property
    def total(self) -> int:
        return self.done + self.left

    @property
    def share_done(self) -> float:
        """done / (done + left), in [0, 1]; 1.0 when nothing was or is theirs to do."""
        return self.done / self.total if self.total else 1.0


def round_progress(store: Store, annotator: str, kind: str | None = None, *, route: str = "app") -> RoundProgress:
    """The expert's progress through the open round (see the module docstring)."""
    person = active_annotator(store, annotator)
    current = store.open_round()
    counts = store.round_work(person["id"], round_id=current["id"] if current else None, kind=kind, route=route)
    return RoundProgress(current["name"] if current else None, counts["done"], counts["open"])
