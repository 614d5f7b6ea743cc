"""`low_confidence`: the model was unsure of its own answer (token logprob statistics).

Uses the log's `logprobs` when it has them, else the signals `flywheel score` computed with a
local model. A record is flagged when its mean or its minimum token logprob falls below the
configured threshold; the score grows from 0.5 at the threshold to 1.0 at twice it.
"""

from __future__ import annotations

from collections.abc import Iterator

from annotate.config import Flagging
from annotate.flagging.base import Flag, RecordView
from annotate.records import FlagReason

REASON: FlagReason = "low_confidence"  # one of annotate.records.FLAG_REASONS


def flag_low_confidence(records: list[RecordView], settings: Flagging) -> Iterator[Flag]:
    for record in records:
        mean, low, origin = record["logprob_mean"], record["logprob_min"], "log"
        if mean is None and low is None and record.get("signal_mean") is not None:
            mean, low, origin = record["signal_mean"], record["signal_min"], f"scored by {record['signal_scorer']}"
        parts = []
        score = 0.0
        if mean is not None and mean < settings.low_confidence_mean_below:
            score = max(score, _beyond(mean, settings.low_confidence_mean_below))
            parts.append(f"mean token logprob {mean:.2f} < {settings.low_confidence_mean_below}")
        if low is not None and low < settings.low_confidence_min_below:
            score = max(score, _beyond(low, settings.low_confidence_min_below))
            parts.append(f"min token logprob {low:.2f} < {settings.low_confidence_min_below}")
        if parts:
            yield Flag(record["id"], REASON, score, f"{'; '.join(parts)} ({origin})")


def _beyond(value: float, threshold: float) -> float:
    """0.5 at the threshold, rising linearly to 1.0 at twice the threshold (both negative)."""
    return 0.5 + 0.5 * min(1.0, (threshold - value) / abs(threshold or 1.0))
