"""What every flagger shares: the Flag value and the record view flaggers read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

from annotate.records import last_user_turn, system_prompt


@dataclass(frozen=True)
class Flag:
    """Why one record is worth an expert's time: a reason, a score in [0, 1] and a human-readable detail."""

    record_id: str
    reason: str
    score: float
    detail: str

    def as_row(self) -> tuple[str, str, float, str]:
        return self.record_id, self.reason, round(min(1.0, max(0.0, self.score)), 4), self.detail


def quote(text: str, limit: int = 120) -> str:
    """A text on one line, in double quotes, cut at `limit` characters: how a detail cites what was said."""
    text = " ".join(text.split())
    return f'"{text[:limit]}…"' if len(text) > limit else f'"{text}"'


class RecordView(dict):
    """A `records` row (a dict) with the conversation parsed on first use."""

    @cached_property
    def conversation(self) -> list[dict]:
        return json.loads(self["messages"])

    @property
    def system_prompt(self) -> str:
        return system_prompt(self.conversation)

    @property
    def last_user_message(self) -> str:
        return last_user_turn(self.conversation)

    @property
    def model_key(self) -> tuple[str | None, str | None]:
        return self["model_name"], self["model_version"]
