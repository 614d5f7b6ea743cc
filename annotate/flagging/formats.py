"""`format`: the project's validators (JSON, JSON Schema, regex, length, unexpected refusal).

Each validator may apply only to records whose system prompt contains some text. One flag per
record carries every violated validator in its detail; its score is the worst one's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from annotate.config import FormatValidator
from annotate.flagging.base import Flag, RecordView
from annotate.records import FlagReason
from annotate.text.formats import FormatCheck

REASON: FlagReason = "format"  # one of annotate.records.FLAG_REASONS
SCORES = {"json": 1.0, "json_schema": 1.0, "regex": 0.9, "length": 0.6, "refusal": 0.9}


def flag_format(records: list[RecordView], validators: list[FormatValidator], project_root: Path) -> Iterator[Flag]:
    check = FormatCheck(validators, project_root)
    check.prepare((record["response"], record.system_prompt, record.last_user_message) for record in records)
    for record in records:
        problems = check.problems(record["response"], record.system_prompt, record.last_user_message)
        if problems:
            yield Flag(record["id"], REASON, max(SCORES[v.kind] for v, _ in problems),
                       "; ".join(f"{validator.name}: {problem}" for validator, problem in problems))  # fmt: skip
