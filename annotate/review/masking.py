"""`[pii] in_review = "mask"`: experts work on tasks without seeing customers' personal data.

Every text a task shows an expert (the conversation with its tool calls' arguments, refusals and
attachment references, the responses, why it was flagged) and their
own earlier answers in *My work* have each piece of personal data replaced by a numbered
placeholder (`<PHONE_NUMBER_1>`), the same one for the same value throughout the task. What the
expert writes back goes through `Masker.unmask_answer`: a placeholder they kept becomes the value
it stood for again, so the stored answer is complete and never holds a placeholder for real data
(exports and Label Studio pushes then apply their own `[pii]` policy to it).

The placeholders are numbered in the order the texts are masked, so the same `Masker` sequence run
again on the same texts (at submit or edit time) gives the same numbers: nothing of the mapping
has to travel through the expert's browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotate.store import Store
from annotate.text.pii import Placeholders, redact_personal_data

SETTING = "pii_in_review"  # the store setting `Project.open_store` writes from the config
ANSWER_TEXTS = ("corrected_response", "better_response", "rationale")


@dataclass(frozen=True)
class ReviewMask:
    """What to mask: the project's entity types and thresholds."""

    entities: tuple[str, ...]
    min_score: float
    min_scores: dict[str, float]


def review_mask(store: Store) -> ReviewMask | None:
    """The project's masking rule for experts, or None when they see texts as logged (`show`)."""
    saved = store.setting(SETTING)
    if not saved or saved.get("mode") != "mask":
        return None
    return ReviewMask(tuple(saved["entities"]), float(saved["min_score"]), dict(saved.get("min_scores") or {}))


def review_setting(mode: str, entities: list[str], min_score: float, min_scores: dict[str, float]) -> dict[str, Any]:
    """The store setting for `[pii] in_review` (see `review_mask`)."""
    return {"mode": mode, "entities": list(entities), "min_score": min_score, "min_scores": dict(min_scores)}


class Masker:
    """Masks one task's texts with one numbering, and puts an expert's placeholders back."""

    def __init__(self, mask: ReviewMask):
        self.mask = mask
        self.placeholders = Placeholders()

    def __call__(self, text: str | None) -> str | None:
        if not text:
            return text
        masked, _ = redact_personal_data(text, self.mask.entities, self.mask.min_score, self.mask.min_scores, self.placeholders)
        return masked

    def messages(self, messages: list[dict]) -> list[dict]:
        """The messages with every text an expert is shown masked: content, refusal, tool calls'
        arguments and attachments' references, in that order."""
        return [self._message(message) for message in messages]

    def _message(self, message: dict) -> dict:
        masked = {**message, **{key: self(message[key]) for key in ("content", "refusal") if isinstance(message.get(key), str)}}
        if message.get("tool_calls"):
            masked["tool_calls"] = [self._call(call) for call in message["tool_calls"]]
        if message.get("attachments"):
            masked["attachments"] = [{**item, **{key: self(item[key]) for key in ("url", "name") if isinstance(item.get(key), str)}}
                                     if isinstance(item, dict) else item for item in message["attachments"]]  # fmt: skip
        return masked

    def _call(self, call: dict) -> dict:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("arguments"), str):
            return call
        return {**call, "function": {**function, "arguments": self(function["arguments"])}}

    def answer(self, answer: dict[str, Any]) -> dict[str, Any]:
        """An answer (a dict) with its texts masked, for showing it back to its author."""
        return {**answer, **{name: self(answer[name]) for name in ANSWER_TEXTS if isinstance(answer.get(name), str)}}

    def unmask_answer(self, parsed):
        """A validated answer (pydantic model) with every placeholder this masker gave put back."""
        values = {name: self.placeholders.unmask(getattr(parsed, name)) for name in ANSWER_TEXTS
                  if isinstance(getattr(parsed, name, None), str)}  # fmt: skip
        return parsed.model_copy(update=values)
