"""`refusal`: the model declined in so many words: the log's explicit refusal (OpenAI's
`message.refusal`, `records.refusal`).

Whether the refused request deserved an answer is judged as the `format` flagger judges refusals: by
the first `[[validators]]` of kind `refusal` that applies under the record's system prompt, with its
reference judge (`annotate.text.refusal_reference.judge_for`, one per reference in a process, shared
with the format flagger). Every explicit refusal is flagged, for an expert to look at:
- a legitimate request refused (or a person in distress): `SCORES["legitimate"]`, with the judge's
  words ("refused a legitimate request (closest reference: ...)");
- a harmful or out-of-scope request refused: `SCORES["expected"]`, low but still flagged, so an expert
  confirms the refusal was right;
- no refusal validator applies, or it judges nothing (`allow_when_request_harmful = false`):
  `SCORES["unjudged"]`.
Each detail quotes the start of the refusal.

How it relates to the format flagger's refusal validator: the validator reads the response *text* for
refusal phrases (`annotate.text.refusal`), which covers models that refuse in plain content. A record
with an explicit refusal is this flagger's alone: the format flagger leaves its refusal validators out
on such a record (its other validators still apply), so one refusal makes one flag, not two.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from annotate.config import FormatValidator, RefusalValidator
from annotate.flagging.base import Flag, RecordView, quote
from annotate.records import FlagReason
from annotate.text.formats import FormatCheck
from annotate.text.refusal_reference import RefusalJudge

REASON: FlagReason = "refusal"  # one of annotate.records.FLAG_REASONS
SCORES = {"legitimate": 0.9, "unjudged": 0.5, "expected": 0.3}
QUOTED = 120  # characters of the refusal quoted in a detail


def flag_refusals(records: list[RecordView], validators: list[FormatValidator], project_root: Path) -> Iterator[Flag]:
    refused = [record for record in records if has_explicit_refusal(record)]
    if not refused:
        return
    check = FormatCheck([validator for validator in validators if isinstance(validator, RefusalValidator)], project_root)
    judged: list[tuple[RecordView, RefusalJudge | None]] = []
    for record in refused:
        judge = next((check.judges.get(id(validator)) for validator in check.applicable(record.system_prompt)), None)
        judged.append((record, judge if judge is not None and record.last_user_message.strip() else None))
    for judge in {id(judge): judge for _, judge in judged if judge is not None}.values():
        judge.judge_many([record.last_user_message for record, used in judged if used is judge])
    for record, judge in judged:
        said = quote(record["refusal"], QUOTED)
        if judge is None:
            yield Flag(record["id"], REASON, SCORES["unjudged"], f"refused: {said}")
            continue
        judgement = judge.judge(record.last_user_message)
        if judgement.expected:
            yield Flag(record["id"], REASON, SCORES["expected"],
                       f"refusal looks expected, to confirm: {judgement.why}; refused: {said}")  # fmt: skip
        else:
            yield Flag(record["id"], REASON, SCORES["legitimate"], f"{judgement.why}; refused: {said}")


def has_explicit_refusal(record: RecordView) -> bool:
    return bool((record.get("refusal") or "").strip())
