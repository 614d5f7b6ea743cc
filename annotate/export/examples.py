"""`Example`: one training or evaluation row before it is written, with everything curation needs.

The formats (TRL's, see `annotate.export.formats`) are made from these at the end; the gates,
the split and the manifest work on them. Text fields hold the text as it will be exported; an answer that calls tools holds them as
`<tool_call>` blocks (`annotate.text.tool_calls`), made structured again in the TRL row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

_TASK_ID = re.compile(r"t(\d+)(?:\D|$)")


@dataclass
class Example:
    id: str  # stable across exports: "t12" (task), "t12-edit" (DPO from a correction), "fb:<record>", "rh:<file>:<line>"
    kind: str  # sft | dpo | kto
    prompt: list[dict]  # the conversation up to and including the last user turn (system prompt kept)
    completion: str | None = None  # sft, kto: the assistant turn
    chosen: str | None = None  # dpo
    rejected: str | None = None  # dpo
    label: bool | None = None  # kto: desirable or not
    origin: str = ""  # correction | accepted | preference | feedback | rehearsal
    source: str = ""  # the production records' source, or "rehearsal:<name>"
    categories: tuple[str, ...] = ()  # failure categories of the decision
    group: str | None = None  # paraphrase group (from the log), when known
    agreement: float | None = None  # share of the task's answers that agree with the decision
    round_id: int | None = None
    lineage: dict = field(default_factory=dict)  # record_ids, task_id, annotation_ids, adjudication_id, annotators
    split: str = "train"
    tools: list[dict] | None = None  # the tools the model was offered (OpenAI definitions), for tool-calling rows

    @property
    def answer(self) -> str:
        """The text the example teaches (completion, or the chosen response)."""
        return (self.completion if self.kind != "dpo" else self.chosen) or ""

    @cached_property
    def prompt_text(self) -> str:
        """The prompt's user turns, joined: what duplicate, conflict and leakage checks compare
        (made once: the gates, the split and the profile ask for it about 15 times an example;
        an example with other messages is a new one, `dataclasses.replace`)."""
        return "\n".join(message.get("content") or "" for message in self.prompt if message.get("role") == "user")

    @property
    def is_production(self) -> bool:
        return self.origin != "rehearsal"


def task_of(example_id: str) -> int | None:
    """The task an example id names ("t12", "t12-edit", "t12#3" -> 12), or None (feedback, rehearsal)."""
    match = _TASK_ID.match(example_id)
    return int(match.group(1)) if match else None
