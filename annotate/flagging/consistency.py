"""`inconsistency`: within a paraphrase group, the same model answered the same question differently.

Groups are the log's `group` ids, or found by prompt similarity when the log has none. Within a
group, answers are compared per model version (two versions differing is not inconsistency).
A record is flagged when its answer disagrees with most of its group: its median similarity to
the group's other answers is below the configured threshold (in a group of two, both answers).
So one odd answer out flags that answer, not the whole group. Its score is one minus that
median. The least similar pair of each group becomes a preference candidate: experts then
judge which answer is right.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

import numpy as np

from annotate.flagging.base import Flag, RecordView
from annotate.records import FlagReason
from annotate.text.similarity import TextSimilarity

REASON: FlagReason = "inconsistency"  # one of annotate.records.FLAG_REASONS
REFERENCES = 50  # answers each answer is compared with, at most


@dataclass(frozen=True)
class PreferencePair:
    record_id: str
    record_b_id: str
    origin: str
    score: float
    detail: str

    def as_row(self) -> tuple[str, str, str, float, str]:
        first, second = sorted((self.record_id, self.record_b_id))
        return first, second, self.origin, round(min(1.0, max(0.0, self.score)), 4), self.detail


def flag_inconsistency(
    groups: dict[str, list[RecordView]], similarity: TextSimilarity, threshold: float
) -> Iterator[Flag | PreferencePair]:
    """Flags and preference pairs for every inconsistent group (keyed by a display name)."""
    for name, members in groups.items():
        by_model = sorted(members, key=lambda record: (str(record.model_key), record["rowid"]))
        for _, same_model in groupby(by_model, key=lambda record: record.model_key):
            yield from _compare(name, list(same_model), similarity, threshold)


def _compare(name: str, records: list[RecordView], similarity: TextSimilarity, threshold: float):
    """Flag the answers that disagree with most of their group; pair the two least similar.

    Each answer is compared with up to `REFERENCES` answers of the group (all of a small group,
    an even spread of a large one), which estimates its median agreement at linear cost.
    """
    if len(records) < 2:
        return
    step = max(1, len(records) // REFERENCES)
    reference = list(range(0, len(records), step))[:REFERENCES]
    scores = similarity.cross([r["response"] for r in records], [records[j]["response"] for j in reference])
    itself = np.array([[index == j for j in reference] for index in range(len(records))])
    masked = np.where(itself, np.inf, scores)
    for index, record in enumerate(records):
        typical = float(np.median(scores[index][~itself[index]]))
        if typical < threshold:
            other = records[reference[int(masked[index].argmin())]]
            detail = (
                f"answer disagrees with most of {name} ({len(records)} answers from this model): median similarity "
                f"{typical:.2f} < {threshold}; least similar to {_label(other)} ({masked[index].min():.2f})"
            )
            yield Flag(record["id"], REASON, 1.0 - typical, detail)
    i, j = np.unravel_index(np.argmin(masked), masked.shape)
    if masked[i, j] < threshold:
        detail = f"least similar answers in {name}: {masked[i, j]:.2f}"
        first, second = records[i]["id"], records[reference[j]]["id"]
        yield PreferencePair(first, second, "inconsistency", 1.0 - float(masked[i, j]), detail)


def _label(record: RecordView) -> str:
    return record.get("external_id") or record["id"][:10]
