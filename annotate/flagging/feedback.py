"""`negative_feedback`: the end user said the answer was bad (thumbs down, low rating, a complaint)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from annotate.config import Flagging
from annotate.flagging.base import Flag, RecordView, quote
from annotate.records import FlagReason

REASON: FlagReason = "negative_feedback"  # one of annotate.records.FLAG_REASONS


def flag_negative_feedback(records: list[RecordView], settings: Flagging) -> Iterator[Flag]:
    complaint = _complaint_pattern(settings.complaint_words)
    for record in records:
        scores, details = [], []
        if record["feedback_thumbs"] == "down":
            scores.append(1.0)
            details.append("thumbs down")
        rating = record["feedback_rating"]
        if rating is not None and rating <= settings.low_rating_at_most:
            scores.append(1.0 - 0.25 * (rating - 1))  # 1 star: 1.0, 2 stars: 0.75, ...
            details.append(f"rated {rating}/5")
        comment = record["feedback_comment"]
        if comment and complaint and (match := complaint.search(comment)):
            scores.append(0.7)
            details.append(f"complaint ({match.group(0)!r}): {quote(comment)}")
        if scores:
            yield Flag(record["id"], REASON, max(scores), "; ".join(details))


def _complaint_pattern(words: list[str]) -> re.Pattern | None:
    if not words:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(word) for word in words) + r")\b", re.IGNORECASE)
