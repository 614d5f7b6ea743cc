"""The project config, `flywheel.toml`: taxonomy, flagging weights, overlap policy, format
validators, PII policy, guidelines, ingest limits and review app settings.

`ProjectConfig` is the source of truth; `schemas/config.schema.json` is generated from it.
`load_config(path)` validates a file and raises `ConfigError` naming the file, the key and,
where it can be found, the line. The commented default file that `flywheel init` writes is
`annotate/templates/flywheel.toml`; a test keeps it equal to the model's defaults.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from annotate.errors import ConfigError
from annotate.records import FlagReason
from annotate.text.clean import UncleanFile, load_toml, read_text, text_lines
from annotate.text.pii import DEFAULT_MIN_SCORES

CONFIG_FILE = "flywheel.toml"
_SLUG = r"^[a-z0-9][a-z0-9_\-]*$"


MAX_MINUTES = 10 * 366 * 24 * 60  # ten years: any longer a duration overflows the dates it is added to

class Section(BaseModel):
    """A settings section: unknown keys are errors (a misspelt key must not be ignored silently).
    The base of every section of the project config and of the export spec."""

    model_config = ConfigDict(extra="forbid")


class ProjectSection(Section):
    name: str = Field(default="flywheel-project", min_length=1, description="The project's name, shown in the app.")
    guidelines: str = Field(
        default="guidelines.md", description="Annotation guidelines, relative to the project folder."
    )


class FailureCategory(Section):
    id: str = Field(pattern=_SLUG)
    label: str = Field(min_length=1)
    description: str = ""
    examples: list[str] = Field(default_factory=list, description="Short examples shown to experts beside the choice.")


DEFAULT_CATEGORIES = [
    FailureCategory(id="factual_error", label="Factual error", description="States something false.",
                    examples=["Names a menu, setting or price the product does not have.", "Gives the wrong deadline or limit."]),
    FailureCategory(id="incomplete", label="Incomplete", description="Misses part of what was asked.",
                    examples=["Answers one of two questions.", "Leaves out the step that saves the change."]),
    FailureCategory(id="unhelpful", label="Vague or unhelpful", description="Does not move the user forward.",
                    examples=["\"Please check the settings.\" without saying which.", "Restates the question."]),
    FailureCategory(id="unwarranted_refusal", label="Unwarranted refusal", description="Refuses a fair request.",
                    examples=["Declines to explain how to export the user's own data."]),
    FailureCategory(id="format_violation", label="Format violation", description="Breaks the required output format.",
                    examples=["Prose where the system prompt asks for JSON only.", "A missing required field."]),
    FailureCategory(id="policy_violation", label="Policy or safety violation", description="Says what it must not.",
                    examples=["Promises a refund the policy does not allow.", "Gives legal or tax advice as fact."]),
    FailureCategory(id="pii_leak", label="Personal data leak", description="Reveals personal data.",
                    examples=["Repeats another customer's email address or card number."]),
    FailureCategory(id="tone", label="Tone or style", description="Right content, wrong voice.",
                    examples=["Curt, blaming or overly casual with an upset customer."]),
    FailureCategory(id="wrong_tool_call", label="Wrong tool call",
                    description="Calls the wrong tool, with wrong arguments, needlessly or repeatedly, or ignores a tool's result.",
                    examples=["Looks up an invoice by the customer's name where the tool takes its number.",
                              "Tells the user it worked after the tool returned an error."]),
]


class Taxonomy(Section):
    failure_categories: list[FailureCategory] = Field(default_factory=lambda: list(DEFAULT_CATEGORIES), min_length=1,
                                                      description="[[taxonomy.failure_categories]] with id, label, description and optional examples.")
    severity: list[str] = Field(
        default_factory=lambda: ["minor", "major", "critical"],
        min_length=2,
        description="Ordered from least to most severe.",
    )

    @field_validator("failure_categories")
    @classmethod
    def _unique_ids(cls, categories: list[FailureCategory]) -> list[FailureCategory]:
        ids = [category.id for category in categories]
        if len(ids) != len(set(ids)):
            raise ValueError(f"failure category ids must be unique, got {ids}")
        return categories

    @field_validator("severity")
    @classmethod
    def _unique_levels(cls, levels: list[str]) -> list[str]:
        if len(levels) != len(set(levels)):
            raise ValueError(f"severity levels must be unique, got {levels}")
        return levels


class FlaggingWeights(Section):
    negative_feedback: float = Field(default=1.0, ge=0, description="Weight of a thumbs-down, low rating or complaint in a task's priority (0: flagger off).")
    low_confidence: float = Field(default=0.6, ge=0, description="Weight of low token logprobs.")
    inconsistency: float = Field(default=0.8, ge=0, description="Weight of an answer that disagrees with its paraphrase group.")
    format: float = Field(default=0.7, ge=0, description="Weight of a format validator's violation.")
    pii: float = Field(default=0.9, ge=0, description="Weight of personal data in a response.")
    refusal: float = Field(default=0.7, ge=0, description="Weight of an explicit refusal (the log's refusal field).")
    tool_call: float = Field(default=0.9, ge=0, description="Weight of a broken, repeated or error-ignoring tool call.")
    manual: float = Field(default=1.0, ge=0, description="Weight of a flag set by hand.")


DEFAULT_COMPLAINTS = [
    "wrong", "incorrect", "not helpful", "unhelpful", "useless", "didn't", "doesn't", "does not", "did not",
    "not what i asked", "makes no sense", "confusing", "still", "false", "not true", "rubbish", "terrible",
]  # fmt: skip
ToolCallCheck = Literal["unknown_tool", "bad_arguments", "repeated_call", "ignored_error"]
DEFAULT_ERROR_MENTIONS = [
    "error", "failed", "fail", "unable", "couldn't", "could not", "can't", "cannot", "wasn't able", "not able",
    "problem", "issue", "sorry", "unfortunately", "unavailable", "not available", "try again", "went wrong", "didn't work",
]  # fmt: skip


class Flagging(Section):
    weights: FlaggingWeights = Field(default_factory=FlaggingWeights)
    low_confidence_mean_below: float = Field(default=-1.2, le=0, description="Flag when the mean token logprob is below this...")
    low_confidence_min_below: float = Field(default=-6.0, le=0, description="...or the lowest token logprob is below this.")
    low_rating_at_most: int = Field(default=2, ge=1, le=5, description="A rating at or below this counts as negative feedback.")
    complaint_words: list[str] = Field(default_factory=lambda: list(DEFAULT_COMPLAINTS),
                                       description="A feedback comment containing one of these counts as negative.")
    similarity: Literal["lexical", "embedding"] = Field(default="lexical", description="How answers are compared: lexical (no model) or embedding.")
    embedding_model: str | None = Field(default=None, description="Local model folder for similarity = embedding.")
    inconsistent_below: float = Field(default=0.55, ge=0, le=1, description="Answers less similar than this disagree.")
    same_prompt_above: float = Field(default=0.75, ge=0, le=1, description="Ungrouped prompts this similar form a group.")
    pii_min_score: float = Field(default=0.5, ge=0, le=1, description="Presidio's confidence at or above which personal data is flagged.")
    tool_call_checks: list[ToolCallCheck] = Field(
        default_factory=lambda: ["unknown_tool", "bad_arguments", "repeated_call", "ignored_error"],
        description="What the tool_call flagger looks for: unknown_tool (a name not offered), bad_arguments (not JSON, "
                    "not an object, or not matching the tool's parameter schema), repeated_call (same name and arguments "
                    "again), ignored_error (a tool result reports an error and the next turn neither retries nor says so).",
    )  # fmt: skip
    tool_error_mentions: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ERROR_MENTIONS),
        description="An answer after a failed tool result that contains one of these tells the user about the problem.",
    )

    @model_validator(mode="after")
    def _embedding_needs_a_model(self) -> Flagging:
        if self.similarity == "embedding" and not self.embedding_model:
            raise ValueError("similarity = 'embedding' needs embedding_model (a local model folder)")
        return self


class Overlap(Section):
    annotations_per_task: int = Field(default=1, ge=1, description="Annotators per ordinary task.")
    agreement_share: float = Field(default=0.2, ge=0, le=1, description="Share of tasks given to several annotators.")
    agreement_annotators: int = Field(default=3, ge=2, description="Annotators per overlapping task.")
    gold_rate: float = Field(default=0.05, ge=0, le=1, description="Share of each batch that is gold (known-answer) items.")
    lease_minutes: int = Field(default=30, ge=1, le=MAX_MINUTES,
                               description="How long an expert holds a task slot before it returns to the queue.")  # fmt: skip


class Resolution(Section):
    """How overlapping answers become one decision; what is left goes to the lead's adjudication queue."""

    auto_unanimous: bool = Field(default=True, description="Resolve a task when every annotator gave the same answer.")
    majority_min_annotators: int = Field(
        default=3, ge=2, description="A strict majority resolves a task when at least this many annotated it."
    )
    correction_similarity_below: float = Field(
        default=0.6, ge=0, le=1,
        description="Corrected texts less similar than this (mean pairwise, 0..1) go to adjudication, even on one verdict.",
    )  # fmt: skip
    method: Literal["majority", "weighted"] = Field(
        default="majority",
        description="How a split is decided: 'majority' (a strict majority of answers) or 'weighted' (a Dawid-Skene "
                    "estimate that weights annotators by their gold accuracy and agreement; annotate/consensus/dawid_skene.py).",
    )  # fmt: skip
    min_posterior: float = Field(
        default=0.8, gt=0.5, le=1,
        description="'weighted' only: a split is decided when the estimate gives its value at least this probability; "
                    "below it (ties included) the task goes to the lead.",
    )  # fmt: skip
    low_agreement_below: float = Field(
        default=0.7, ge=0, le=1,
        description="A task decided by a majority or the weighted estimate where fewer than this share of the answers "
                    "agree with the decision waits in the lead's queue as 'low agreement' (the decision stands until a "
                    "lead decides); 0 turns it off.",
    )  # fmt: skip
    prior_answers: float = Field(
        default=2.0, gt=0,
        description="'weighted' only: how many answers each annotator's estimate starts from (at 70% right), so a "
                    "few answers neither make nor break an annotator.",
    )  # fmt: skip


class Quality(Section):
    """When an annotator's gold accuracy pauses them from new tasks (annotate/review/quality.py)."""

    pause_below: float = Field(
        default=0.6, ge=0, le=1,
        description="Pause an annotator from new tasks when their gold accuracy is under this bar with 95% confidence "
                    "(the whole Wilson interval under it); 0 turns pausing off.",
    )  # fmt: skip
    min_gold: int = Field(default=5, ge=1, description="Gold items an annotator must have answered before the bar is applied.")


class AgreementSettings(Section):
    min_shared_items: int = Field(
        default=10, ge=1, description="Cohen's kappa only for annotator pairs sharing at least this many items."
    )
    bootstrap_samples: int = Field(default=1000, ge=0, description="Resamplings for alpha's confidence interval (0: none).")
    confidence: float = Field(default=0.95, gt=0, lt=1, description="Confidence level of the intervals.")


class _Validator(Section):
    name: str = Field(pattern=_SLUG)
    when_system_contains: str | None = Field(
        default=None, description="Apply only to records whose system prompt contains this text."
    )


class JsonValidator(_Validator):
    kind: Literal["json"]


class JsonSchemaValidator(_Validator):
    kind: Literal["json_schema"]
    schema_path: str = Field(description="JSON Schema file, relative to the project folder.")


class RegexValidator(_Validator):
    kind: Literal["regex"]
    pattern: str
    must_match: bool = True

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return pattern


class LengthValidator(_Validator):
    kind: Literal["length"]
    min_chars: int = Field(default=1, ge=0)
    max_chars: int | None = Field(default=None, ge=1)


BUNDLED_REFERENCE, NO_REFERENCE = "bundled", "none"  # a refusal validator's `reference`, beside a file path


class RefusalValidator(_Validator):
    """Flags a response that refuses a legitimate request. A refusal of a harmful request (fraud, laundering,
    someone else's data, ...) or of one out of the assistant's scope is correct behaviour and passes, where
    the caller knows the request; judged against labelled prompts (`annotate.text.refusal_reference`)."""

    kind: Literal["refusal"]
    allow_when_request_harmful: bool = Field(
        default=True, description="Let a refusal of a harmful or out-of-scope request pass (false: flag every refusal, as before)."
    )
    reference: str = Field(
        default=BUNDLED_REFERENCE,
        description='Labelled prompts a refusal is judged against: a JSONL file relative to the project folder, one '
                    '{"prompt" (or the safety set\'s "messages"), "label": harmful | out_of_scope | benign} a line; '
                    '"bundled" (the sample safety set\'s prompts with out-of-scope and routine ones); or "none" '
                    "(harmful-request phrases alone, no embedding model).",
    )

    @field_validator("reference")
    @classmethod
    def _reference_setting(cls, reference: str) -> str:
        if reference in (BUNDLED_REFERENCE, NO_REFERENCE) or reference.endswith(".jsonl"):
            return reference
        raise ValueError(f'a .jsonl file of labelled prompts, "{BUNDLED_REFERENCE}" or "{NO_REFERENCE}", got {reference!r}')


FormatValidator = Annotated[
    JsonValidator | JsonSchemaValidator | RegexValidator | LengthValidator | RefusalValidator,
    Field(discriminator="kind"),
]


class PiiPolicy(Section):
    entities: list[str] = Field(
        default_factory=lambda: ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IP_ADDRESS", "IBAN_CODE"],
        description="Presidio entity types to look for.",
    )
    min_scores: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: dict(DEFAULT_MIN_SCORES),
        description="A floor per entity type, in place of flagging.pii_min_score (phone numbers score 0.4 before their context is judged).",
    )
    in_review: Literal["show", "mask"] = Field(
        default="show", description='What experts see of personal data in the review app: "show" it as logged, or "mask" it as numbered placeholders (a kept placeholder is stored as its value).'
    )
    on_push: Literal["redact", "block", "allow"] = Field(default="redact", description="Personal data in text pushed to Label Studio.")
    on_export: Literal["redact", "block", "allow"] = Field(default="redact", description="Personal data in exported snapshots.")


class IngestLimits(Section):
    max_field_chars: int = Field(default=100_000, ge=1, description="Longest accepted text field.")
    max_depth: int = Field(default=32, ge=2, description="Deepest accepted JSON nesting.")
    batch_size: int = Field(default=20_000, ge=1, description="Lines per committed batch.")
    workers: int = Field(
        default=0, ge=0, le=64,
        description="Processes that validate lines in parallel (0: one per CPU core; 1: validate in the ingest process itself).",
    )  # fmt: skip
    keep_token_logprobs: bool = Field(
        default=False, description="Keep each response's per-token log-probabilities (not only their mean and minimum)."
    )


class AppSettings(Section):
    session_idle_minutes: int = Field(
        default=60, ge=1, le=MAX_MINUTES, description="Sign an expert out after this many minutes without activity."
    )
    max_failed_sign_ins: int = Field(default=5, ge=1, description="Consecutive failed sign-ins that lock an account.")
    lockout_minutes: int = Field(default=15, ge=1, le=MAX_MINUTES, description="How long a locked account stays locked.")
    edit_window_minutes: int = Field(
        default=60, ge=0, le=MAX_MINUTES, description="How long after submitting an expert may still edit an annotation (0: never)."
    )


AnswerField = Literal["categories", "severity", "rationale"]


class AnswerRule(Section):
    """What an answer with one verdict (or judgment) must hold besides its text."""

    require: list[AnswerField] = Field(
        default_factory=list, description="Fields that must all be given: categories (at least one), severity, rationale."
    )
    require_one_of: list[AnswerField] = Field(default_factory=list, description="Fields of which at least one must be given.")


class AnswerRules(Section):
    """One rule per correction verdict and preference judgment (`annotate.review.answer_rules`)."""

    acceptable: AnswerRule = Field(default_factory=AnswerRule)
    corrected: AnswerRule = Field(default_factory=lambda: AnswerRule(require=["categories", "severity"]))
    unusable: AnswerRule = Field(default_factory=lambda: AnswerRule(require_one_of=["rationale", "categories"]))
    a: AnswerRule = Field(default_factory=AnswerRule)
    b: AnswerRule = Field(default_factory=AnswerRule)
    tie: AnswerRule = Field(default_factory=AnswerRule)
    both_bad: AnswerRule = Field(default_factory=AnswerRule)


class ReviewSettings(Section):
    """What the review app shows experts beside the task (annotate/review/why.py), what every answer
    must hold wherever it is written, and the app's care checks (annotate/review/answer_rules.py)."""

    show_feedback_in_compare: bool = Field(
        default=False, description="Show the end user's feedback (thumbs, rating, comment) on Compare; off by default, as it biases a blind judgement."
    )
    rules: AnswerRules = Field(default_factory=AnswerRules)
    confirm_accept_flags: list[FlagReason] = Field(
        default_factory=lambda: ["pii", "refusal"],
        description="Accepting a response flagged for one of these (refusal: also the format flagger's refusal validators) "
                    "asks the expert to confirm they checked it.",
    )  # fmt: skip
    fast_accept_seconds: float = Field(
        default=8, ge=0, description="A flagged response accepted in under this many seconds is a fast accept (0: no pace check)."
    )
    fast_accept_streak: int = Field(default=5, ge=1, description="Fast accepts in a row that bring a gentle notice.")


class DegenerateLimits(Section):
    """The most a candidate's answers may be degenerate, per kind (`annotate.text.degenerate`), as
    a share of its production, safety and general answers; decided by the rate's Wilson interval."""

    empty: float = Field(default=0.2, ge=0, le=1, description="Empty answers.")
    repetition: float = Field(default=0.2, ge=0, le=1, description="Runs of a repeated piece, or mostly repeated word 4-grams.")
    no_end_of_turn: float = Field(default=0.2, ge=0, le=1, description="Stopped on a special token other than the end of turn.")
    template_leak: float = Field(default=0.2, ge=0, le=1, description="Chat-template markup in the answer.")


class EvalGate(Section):
    """What a candidate adapter must show to ship (`flywheel eval` exits non-zero when one fails).

    Each margin is what a check's 95% interval must rule out (`train.gate`): a margin of 0 on a
    "may not fall" check passes only on a proven improvement, so the defaults allow 5 points.

    Each check compares the candidate with the base model (or, for quality, the best prompt baseline)
    on the same inputs; a check whose data was not given (no --safety file, no paraphrase groups) is
    reported as not run and does not fail the gate.
    """

    beat_prompt_baseline: bool = Field(
        default=True, description="Production quality (`quality_metric`) must exceed the best prompt baseline's "
                                  "(prompt baseline, retrieval few-shot; the base's without either)."
    )
    quality_metric: Literal["chrf", "semantic"] = Field(
        default="semantic",
        description="What production quality is measured by: semantic (mean cosine similarity of all-MiniLM-L6-v2 "
                    "embeddings of the answer and the experts' answer, -1 to 1) or chrf (character n-gram F-score, "
                    "0-100). semantic by default: a real model answers right in its own words, which chrF scores "
                    "low, and chrF rises when a tuned model copies the experts' phrasing without their facts.",
    )  # fmt: skip
    min_quality_gain: float = Field(
        default=0.0, ge=0, description="...by more than this, in `quality_metric`'s units: cosine similarity "
                                       "(-1 to 1) for semantic, chrF points (0-100) for chrf."
    )
    max_perplexity_increase: float = Field(
        default=0.05, ge=0, description="Perplexity on the general set may rise at most this share above the base's."
    )
    max_accuracy_drop: float = Field(
        default=0.02, ge=0, le=1, description="General multiple-choice / exact-answer accuracy may fall at most this much."
    )
    max_refusal_drop: float = Field(
        default=0.05, ge=0, le=1, description="Refusal rate on harmful prompts may fall at most this much below the base's."
    )
    max_over_refusal_rise: float = Field(
        default=0.05, ge=0, le=1, description="Refusal rate on benign prompts may rise at most this much above the base's."
    )
    max_consistency_drop: float = Field(
        default=0.05, ge=0, le=1, description="Agreement within paraphrase groups may fall at most this much."
    )
    max_validator_pass_drop: float = Field(
        default=0.05, ge=0, le=1, description="The format validators' pass rate may fall at most this much."
    )
    max_quality_drop_vs_shipped: float = Field(
        default=0.0, ge=0, description="With --against: quality may fall at most this much below the shipped version's."
    )
    max_truncation_rise: float = Field(
        default=0.2, ge=0, le=1, description="The share of answers cut at max_new_tokens may rise at most this much above the base's."
    )
    max_degenerate: DegenerateLimits = Field(default_factory=DegenerateLimits)
    min_slice_examples: int = Field(
        default=10, ge=1, description="Slices (failure categories, prompt clusters) with at least this many examples are gated..."
    )
    max_slice_regression: float = Field(
        default=0.05, ge=0, description="...and none may fall more than this below the reference's quality (quality_metric's units)."
    )
    max_function_name_drop: float = Field(
        default=0.05, ge=0, le=1, description="Tool use, where references call tools: function-name accuracy (the same "
                                              "functions in the same order) may fall at most this much...")
    max_argument_exact_drop: float = Field(
        default=0.05, ge=0, le=1, description="...argument exact match (names and arguments equal as JSON) at most this much...")
    max_argument_match_drop: float = Field(
        default=0.05, ge=0, le=1, description="...the share of the reference's arguments matched at most this much...")
    max_unexpected_tool_call_rise: float = Field(
        default=0.05, ge=0, le=1, description="...and calls where the experts answered in text may rise at most this much "
                                              "(each against the shipped version with --against, else the base).")
    min_tool_examples: int = Field(
        default=10, ge=1, description="A tool-use check resting on fewer examples (tool-call references; text references "
                                      "for unexpected calls) is inconclusive: not enough evidence.")
    max_p95_output_tokens: float | None = Field(default=None, gt=0, description="Cap on the 95th percentile of output tokens (none: no cap).")
    max_seconds_per_example: float | None = Field(default=None, gt=0, description="Cap on generation seconds per example (none: no cap).")
    max_parameters: float | None = Field(default=None, gt=0, description="Cap on the model's parameter count (none: no cap).")
    inconclusive_is_failure: bool = Field(
        default=False, description="Count \"not enough evidence\" as a failure (exit 3) instead of its own exit code 4."
    )


class EvalSettings(Section):
    """`flywheel eval`: decoding (the same for every variant) and the regression gate."""

    max_new_tokens: int = Field(default=256, ge=1, description="Longest generated answer, in tokens.")
    batch_size: int = Field(default=16, ge=1, description="Prompts generated at once.")
    max_length: int = Field(default=1024, ge=16, description="Longest prompt (tokens; longer ones keep their end).")
    gate: EvalGate = Field(default_factory=EvalGate)


class ProjectConfig(Section):
    """Everything a Flywheel project can be told, with defaults that work out of the box."""

    model_config = ConfigDict(extra="forbid", title="Flywheel project config (flywheel.toml)")

    project: ProjectSection = Field(default_factory=ProjectSection)
    taxonomy: Taxonomy = Field(default_factory=Taxonomy)
    flagging: Flagging = Field(default_factory=Flagging)
    overlap: Overlap = Field(default_factory=Overlap)
    resolution: Resolution = Field(default_factory=Resolution)
    quality: Quality = Field(default_factory=Quality)
    agreement: AgreementSettings = Field(default_factory=AgreementSettings)
    validators: list[FormatValidator] = Field(
        default_factory=lambda: [RefusalValidator(name="unexpected-refusal", kind="refusal")]
    )
    pii: PiiPolicy = Field(default_factory=PiiPolicy)
    ingest: IngestLimits = Field(default_factory=IngestLimits)
    app: AppSettings = Field(default_factory=AppSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)


def default_config_text(project_name: str) -> str:
    """The commented default `flywheel.toml` that `flywheel init` writes."""
    template = resources.files("annotate").joinpath("templates/flywheel.toml").read_text(encoding="utf-8")
    return template.replace("__PROJECT_NAME__", project_name.replace('"', "'"))


def parse_config(text: str, source: str = CONFIG_FILE) -> ProjectConfig:
    """Validate config text; `source` names the file in error messages."""
    try:
        data = load_toml(text, source)
    except UncleanFile as exc:
        raise ConfigError(str(exc)) from exc
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(error, text, source) for error in exc.errors()]
        raise ConfigError("\n".join(problems)) from exc


def load_config(path: Path) -> ProjectConfig:
    """Read and validate a `flywheel.toml`."""
    try:
        text = read_text(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the project config: {exc.strerror}") from exc
    except UncleanFile as exc:
        raise ConfigError(str(exc)) from exc
    return parse_config(text, str(path))


def _describe(error: dict, text: str, source: str) -> str:
    key = ".".join(str(part) for part in error["loc"] if not _is_union_tag(part))
    line = _line_of(text, [part for part in error["loc"] if isinstance(part, str)])
    where = f"{source}:{line}" if line else source
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling against schemas/config.schema.json)"
    return f"{where}: {key}: {message}"


def _is_union_tag(part: object) -> bool:
    return isinstance(part, str) and part in {"json", "json_schema", "regex", "length", "refusal"}


def _line_of(text: str, keys: list[str]) -> int | None:
    """Best-effort line number of the last key of a path, searched after its section header."""
    if not keys:
        return None
    lines = text_lines(text)
    start = 0
    if len(keys) > 1:
        header = re.compile(r"^\s*\[+\s*" + re.escape(".".join(keys[:-1])) + r"\s*\]+")
        start = next((i for i, line in enumerate(lines) if header.match(line)), 0)
    key = re.compile(r"^\s*" + re.escape(keys[-1]) + r"\s*=")
    for number, line in enumerate(lines[start:], start=start + 1):
        if key.match(line):
            return number
    return None
