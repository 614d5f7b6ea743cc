"""A validated `RecordIn` as a `records` row, with its stable id.

The id is a hash of the source and the external id when the log has one, otherwise of the
source and the content (messages, response, model, time), so the same interaction ingested
twice is stored once.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_json

from annotate.records import Message, RecordIn, TokenLogprob, ToolCall

_MESSAGES = TypeAdapter(list[Message])
_CALLS = TypeAdapter(list[ToolCall])
_TOKENS = TypeAdapter(list[TokenLogprob])
ID_HEX_CHARS = 24


def record_id(source: str, external_id: str | None, content_key: str) -> str:
    key = f"{source}\x1fid\x1f{external_id}" if external_id is not None else f"{source}\x1fcontent\x1f{content_key}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:ID_HEX_CHARS]


def to_row(record: RecordIn, *, source: str, round_id: int, ingest_id: int) -> tuple[Any, ...]:
    """A tuple in `store.records.RECORD_COLUMNS` order."""
    messages = _MESSAGES.dump_json(record.messages, exclude_none=True).decode("utf-8")
    created_at = record.created_at.isoformat() if record.created_at else None
    model_name, model_version = record.model_name_and_version()
    content_key = f"{messages}\x1f{record.response}\x1f{record.model}\x1f{created_at}"
    feedback, logprobs = record.feedback, record.logprobs
    return (
        record_id(source, record.id, content_key),
        source,
        record.id,
        messages,
        record.response,
        model_name,
        model_version,
        created_at,
        feedback.thumbs if feedback else None,
        feedback.rating if feedback else None,
        feedback.comment if feedback else None,
        logprobs.mean if logprobs else None,
        logprobs.min if logprobs else None,
        record.group,
        to_json(record.metadata, fallback=str).decode("utf-8") if record.metadata else "{}",
        round_id,
        ingest_id,
        _CALLS.dump_json(record.tool_calls, exclude_none=True).decode("utf-8") if record.tool_calls else None,
        record.refusal,
        to_json(record.tools).decode("utf-8") if record.tools else None,
        record.reasoning,
        _TOKENS.dump_json(record.token_logprobs).decode("utf-8") if record.token_logprobs else None,
        record.trace.trace_id if record.trace else None,
        record.trace.span_id if record.trace else None,
    )
