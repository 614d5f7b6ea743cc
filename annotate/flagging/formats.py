"""`format`: the project's validators (JSON, JSON Schema, regex, length, unexpected refusal).

Each validator may apply only to records whose system prompt contains some text. One flag per
record carries every violated validator in its detail; its score is the worst one's. A record with an
explicit refusal (the log's refusal field) is the `refusal` flagger's: the refusal validators leave it
alone here, so one refusal is flagged once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from annotate.config import FormatValidator, RefusalValidator
from annotate.flagging.base import Flag, RecordView
from annotate.flagging.refusal import has_explicit_refusal
from annotate.records import FlagReason
from annotate.text.formats import FormatCheck

REASON: FlagReason = "format"  # one of annotate.records.FLAG_REASONS
SCORES = {"json": 1.0, "json_schema": 1.0, "regex": 0.9, "length": 0.6, "refusal": 0.9}


def flag_format(records: list[RecordView], validators: list[FormatValidator], project_root: Path) -> Iterator[Flag]:
    check = FormatCheck(validators, project_root)
    explicit = {record["id"] for record in records if has_explicit_refusal(record)}
    requests = {record["id"]: None if record["id"] in explicit else record.last_user_message for record in records}
    check.prepare((record["response"], record.system_prompt, requests[record["id"]]) for record in records)
    for record in records:
        problems = check.problems(record["response"], record.system_prompt, requests[record["id"]])
        if record["id"] in explicit:
            problems = [(validator, problem) for validator, problem in problems if not isinstance(validator, RefusalValidator)]
        if problems:
            yield Flag(record["id"], REASON, max(SCORES[v.kind] for v, _ in problems),
                       "; ".join(f"{validator.name}: {problem}" for validator, problem in problems))  # fmt: skip
