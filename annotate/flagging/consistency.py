"""`inconsistency`: within a paraphrase group, the same model answered the same question differently.

Groups are the log's `group` ids, or found by prompt similarity when the log has none. Within a
group, answers are compared per model version (two versions differing is not inconsistency).
A record is flagged when some answer in its group is less similar to it than the configured
threshold; its score is one minus that lowest similarity. The least similar pair of each
inconsistent group becomes a preference candidate: experts then judge which answer is right.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

import numpy as np

from annotate.flagging.base import Flag, RecordView
from annotate.similarity import TextSimilarity

REASON = "inconsistency"


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
    if len(records) < 2:
        return
    scores = similarity.matrix([record["response"] for record in records])
    np.fill_diagonal(scores, np.inf)
    worst = scores.argmin(axis=1)
    for index, record in enumerate(records):
        lowest = float(scores[index, worst[index]])
        if lowest < threshold:
            other = records[worst[index]]
            detail = (
                f"answers in {name} ({len(records)} from this model) disagree: "
                f"{lowest:.2f} similar to {_label(other)} (threshold {threshold})"
            )
            yield Flag(record["id"], REASON, 1.0 - lowest, detail)
    i, j = np.unravel_index(np.argmin(scores), scores.shape)
    if scores[i, j] < threshold:
        detail = f"least similar answers in {name}: {scores[i, j]:.2f}"
        yield PreferencePair(records[i]["id"], records[j]["id"], "inconsistency", 1.0 - float(scores[i, j]), detail)


def _label(record: RecordView) -> str:
    return record.get("external_id") or record["id"][:10]
