"""Value types that cross Flywheel's boundaries, as pydantic v2 models.

These models are the source of truth: `schemas/*.schema.json` are generated from them
(`flywheel schemas write`), and a test fails when a committed schema is stale.

`RecordIn` is Flywheel's own JSONL record format, one production interaction a line.
Only `messages` (or a bare `prompt`, turned into one user message by the reader) and
`response` are required; the other field names are a contract that flagging, export and
outside tools rely on. A response that calls tools keeps its calls (`tool_calls`, OpenAI's shape)
and shows them in its text as `<tool_call>` blocks (`annotate.text.tool_calls`); the tools the
model was offered are `tools`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import to_json

from annotate.text.clean import printable, text_problem
from annotate.text.tool_calls import has_calls, response_text

EXCERPT_CHARS = 200  # of a rejected line, kept in its reject

Role = Literal["system", "user", "assistant", "tool"]

# The product's words, defined once: every list of them elsewhere is derived from these.
Verdict = Literal["acceptable", "corrected", "unusable"]
Choice = Literal["a", "b", "tie", "both_bad"]
FlagReason = Literal["negative_feedback", "low_confidence", "format", "pii", "refusal", "tool_call", "inconsistency", "manual"]
PersonRole = Literal["annotator", "lead", "engineer", "admin"]
VERDICTS: tuple[str, ...] = get_args(Verdict)
CHOICES: tuple[str, ...] = get_args(Choice)
FLAG_REASONS: tuple[str, ...] = get_args(FlagReason)
ROLES: tuple[str, ...] = get_args(PersonRole)

NOT_BLANK = r"\S"  # at least one non-space character (a search, not a full match)


class FunctionCall(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(pattern=NOT_BLANK)
    arguments: str = Field(default="{}", description="The arguments as the model wrote them: JSON text, kept even when it is not JSON.")

    @field_validator("arguments", mode="before")
    @classmethod
    def _object_as_text(cls, value: Any) -> Any:
        return to_json(value).decode("utf-8") if isinstance(value, (dict, list)) else "{}" if value is None else value


class ToolCall(BaseModel):
    """One call of a tool, OpenAI's shape."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str | None = None
    type: str = "function"
    function: FunctionCall


class Attachment(BaseModel):
    """A non-text part of a message (image, audio, file) kept as a reference, never fetched: its URL,
    or for inline data its media type, length and hash. The message's content shows it as
    "[image: URL]" where it was."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["image", "audio", "file"]
    url: str | None = None
    media_type: str | None = None
    data_chars: int | None = Field(default=None, ge=0, description="Length of inline (base64) data, which is not kept.")
    sha256: str | None = Field(default=None, description="Hash of the inline data, to tell attachments apart.")
    name: str | None = None
    detail: str | None = None


class Message(BaseModel):
    """One chat turn, OpenAI style. Only an assistant turn that calls tools or refuses may have empty
    content (checked by `RecordIn`, once per record rather than once per message, for speed)."""

    model_config = ConfigDict(extra="allow", frozen=True)  # fields Flywheel does not know are kept

    role: Role
    content: str
    name: str | None = None
    tool_call_id: str | None = None
    tool_calls: list[ToolCall] | None = None
    refusal: str | None = None
    attachments: list[Attachment] | None = None


class TokenLogprob(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    token: str
    logprob: float = Field(le=0, allow_inf_nan=False)


class TraceRef(BaseModel):
    """Where the record came from in a trace (OpenTelemetry, OpenInference, Langfuse, LangSmith)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trace_id: str = Field(pattern=NOT_BLANK)
    span_id: str | None = None


class Feedback(BaseModel):
    """What the end user said about the response."""

    model_config = ConfigDict(extra="forbid")

    thumbs: Literal["up", "down"] | None = None
    rating: int | None = Field(default=None, ge=1, le=5)
    comment: str | None = None


class Logprobs(BaseModel):
    """Token log-probability statistics of the response (natural log, so never above 0)."""

    model_config = ConfigDict(extra="forbid")

    mean: float | None = Field(default=None, le=0, allow_inf_nan=False)
    min: float | None = Field(default=None, le=0, allow_inf_nan=False)


class RecordIn(BaseModel):
    """One production interaction in Flywheel's record format (after the reader's normalisation)."""

    model_config = ConfigDict(extra="forbid", title="Record")

    id: str | None = Field(
        default=None, pattern=NOT_BLANK, coerce_numbers_to_str=True, description="External id from the source system."
    )
    messages: list[Message] = Field(min_length=1, description="Chat history up to the model's turn.")
    response: str = Field(
        pattern=NOT_BLANK,
        description="The model's answer as text: its content (its refusal when it has none), then a <tool_call> block per call.",
    )
    tool_calls: list[ToolCall] | None = Field(default=None, description="The tools the response called, in order.")
    refusal: str | None = Field(default=None, description="The model's refusal, when it declined (OpenAI's refusal field).")
    tools: list[dict[str, Any]] | None = Field(default=None, description="The tools the model was offered (OpenAI tool definitions).")
    reasoning: str | None = Field(default=None, description="The model's reasoning summary, when the log has one.")
    token_logprobs: list[TokenLogprob] | None = Field(
        default=None, description="Per-token log-probabilities of the response (kept with ingest.keep_token_logprobs)."
    )
    trace: TraceRef | None = None
    model: str | None = Field(default=None, pattern=NOT_BLANK, description="name@version of the model that answered.")
    created_at: datetime | None = Field(default=None, description="ISO 8601; naive times are UTC.")
    feedback: Feedback | None = None
    logprobs: Logprobs | None = None
    group: str | None = Field(
        default=None, pattern=NOT_BLANK, coerce_numbers_to_str=True, description="Paraphrase or intent group id."
    )
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("messages")
    @classmethod
    def _turns_make_sense(cls, messages: list[Message]) -> list[Message]:
        has_user = False
        for index, message in enumerate(messages):
            if message.role == "user":
                has_user = True
            if not message.content.strip() and not (message.role == "assistant" and (message.tool_calls or message.refusal)):
                raise ValueError(f"messages[{index}].content: {message.role} message is empty")
        if not has_user:
            raise ValueError("messages has no user turn")
        return messages

    @field_validator("tools")
    @classmethod
    def _tools_named(cls, tools: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        if tools is None:
            return None
        shaped = []
        for index, tool in enumerate(tools):
            if "function" not in tool and tool.get("type", "function") == "function" and "name" in tool:
                tool = {"type": "function", "function": {k: v for k, v in tool.items() if k != "type"}}
            function = tool.get("function")
            if tool.get("type", "function") == "function" and not (isinstance(function, dict) and isinstance(function.get("name"), str) and function["name"].strip()):
                raise ValueError(f"tools[{index}]: a function tool needs function.name")
            shaped.append(tool)
        return shaped

    @model_validator(mode="after")
    def _calls_shown_in_response(self) -> RecordIn:
        if self.tool_calls and not has_calls(self.response):
            self.response = response_text(self.response, [call.model_dump() for call in self.tool_calls])
        return self

    @field_validator("created_at")
    @classmethod
    def _as_utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def model_name_and_version(self) -> tuple[str | None, str | None]:
        """Split `model` at its last '@' into (name, version)."""
        if self.model is None:
            return None, None
        name, sep, version = self.model.rpartition("@")
        return (name, version) if sep and name and version else (self.model, None)


class Reject(BaseModel):
    """One input line that could not be ingested, as written to the rejects file. Its texts are made
    printable (a lone surrogate or NUL from the bad line escaped) and the excerpt cut to 200 characters,
    so a reject can always be written, stored and shown."""

    model_config = ConfigDict(extra="forbid")

    file: str
    line: int = Field(description="1-based line (or row) number in the file.")
    field: str | None = Field(description="Dotted path of the offending field, when one is to blame.")
    reason: str
    excerpt: str = Field(default="", description="The start of the offending line.")

    @field_validator("file", "field", "reason", "excerpt")
    @classmethod
    def _printable(cls, value: str | None, info) -> str | None:
        if value is None:
            return None
        return printable(value[:EXCERPT_CHARS] if info.field_name == "excerpt" else value)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    failure_categories: list[str] = Field(default_factory=list, description="Ids from the project taxonomy.")
    severity: str | None = Field(default=None, description="A level from the project's severity scale.")
    rationale: str = Field(default="", max_length=10_000)
    seconds_spent: float | None = Field(default=None, ge=0, allow_inf_nan=False, description="Time on task, measured by the client.")

    @field_validator("rationale", "corrected_response", "better_response", "severity", check_fields=False)
    @classmethod
    def _clean_text(cls, value: str | None) -> str | None:
        reason = text_problem(value) if isinstance(value, str) else None
        if reason:
            raise ValueError(reason)
        return value


class CorrectionAnswer(_Answer):
    """An expert's answer to a correction task: accept the response, correct it, or mark it unusable."""

    model_config = ConfigDict(extra="forbid", title="CorrectionAnswer")

    kind: Literal["correction"] = "correction"
    verdict: Verdict
    corrected_response: str | None = Field(default=None, description="Required when the verdict is 'corrected'.")

    @model_validator(mode="after")
    def _correction_needs_text(self) -> CorrectionAnswer:
        if self.verdict == "corrected" and not (self.corrected_response or "").strip():
            raise ValueError("a 'corrected' verdict needs the corrected response")
        if self.verdict != "corrected" and self.corrected_response is not None:
            raise ValueError(f"a corrected response goes with the 'corrected' verdict, not {self.verdict!r}")
        return self


class PreferenceAnswer(_Answer):
    """An expert's judgment of two responses shown as A and B (the mapping to records is kept apart)."""

    model_config = ConfigDict(extra="forbid", title="PreferenceAnswer")

    kind: Literal["preference"] = "preference"
    choice: Choice
    better_response: str | None = Field(default=None, description="Optional: a better answer the expert wrote.")

    @field_validator("better_response")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None


Answer = Annotated[CorrectionAnswer | PreferenceAnswer, Field(discriminator="kind")]


def system_prompt(conversation: list[dict]) -> str:
    """The conversation's system messages joined by newlines ("" when it has none): what validators key on."""
    return "\n".join(m.get("content") or "" for m in conversation if m.get("role") == "system")


def last_user_turn(conversation: list[dict]) -> str:
    """The text of the conversation's last user message ("" when it has none): what a prompt is about."""
    return next((m["content"] for m in reversed(conversation) if m["role"] == "user"), "")
