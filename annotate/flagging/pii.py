"""`pii`: a response that leaks personal data (a user giving their own email in the prompt is fine)."""

from __future__ import annotations

from collections.abc import Iterator

from annotate.config import Flagging, PiiPolicy
from annotate.flagging.base import Flag, RecordView
from annotate.records import FlagReason
from annotate.text.pii import find_personal_data

REASON: FlagReason = "pii"  # one of annotate.records.FLAG_REASONS


def flag_pii(records: list[RecordView], policy: PiiPolicy, settings: Flagging) -> Iterator[Flag]:
    for record in records:
        text = record["response"]
        findings = find_personal_data(text, policy.entities, settings.pii_min_score, policy.min_scores)
        if findings:
            shown = ", ".join(f"{finding.entity} ({finding.masked(text)})" for finding in findings[:5])
            yield Flag(record["id"], REASON, findings[0].score, f"response contains {shown}")
