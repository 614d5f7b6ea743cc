"""The retrieval few-shot baseline: the prompt-engineering ceiling to set before fine-tuning.

For each prompt, the K training examples whose request (last user turn) is most similar to the
prompt's own, by cosine similarity of sentence embeddings (`train.semantic.embed` in evaluation; any
function texts -> L2-normalised rows in tests), go into the context as user/assistant turns: the
prompt's own system message first, then the examples with the most similar one last (nearest the
question), then the prompt's conversation. An example shows its request and the experts' answer;
an earlier turn of a multi-turn training prompt is not shown.

The examples come from the snapshot's train split only. `RetrievalIndex.build` also drops every
training example whose request, or whose user turns together, equal one of the prompts that will be
asked (evaluation passes all of them: production, safety and general), so no answer under test is
in its own context. Ties in similarity keep the training file's order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from annotate.records import last_user_turn
from train.eval_data import ProductionItem

Embed = Callable[[Sequence[str]], np.ndarray]


def _key(text: str) -> str:
    """The text as compared for leakage: case, spacing and outer whitespace ignored."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def _user_text(prompt: list[dict]) -> str:
    return "\n".join(m["content"] for m in prompt if m["role"] == "user")


class RetrievalIndex:
    """Training examples, embedded once, and their nearest neighbours for any prompt."""

    def __init__(self, examples: Sequence[ProductionItem], embed: Embed):
        self.examples = list(examples)
        self._embed = embed
        self._vectors = embed([last_user_turn(item.prompt) for item in self.examples]) if self.examples else None
        self._queries: dict[str, np.ndarray] = {}

    @classmethod
    def build(cls, train: Sequence[ProductionItem], asked: Sequence[list[dict]], embed: Embed) -> RetrievalIndex:
        """The index of `train` less every example whose prompt text equals one of the prompts `asked`."""
        held_out = {_key(text) for prompt in asked for text in (last_user_turn(prompt), _user_text(prompt))}
        kept = [item for item in train
                if not {_key(last_user_turn(item.prompt)), _key(_user_text(item.prompt))} & held_out]  # fmt: skip
        return cls(kept, embed)

    def prepare(self, prompts: Sequence[list[dict]]) -> None:
        """Embed the requests of many prompts in one go (`nearest` embeds any it has not seen)."""
        new = list(dict.fromkeys(text for text in map(last_user_turn, prompts) if text not in self._queries))
        if new and self.examples:
            self._queries.update(zip(new, self._embed(new)))

    def nearest(self, prompt: list[dict] | str, k: int) -> list[ProductionItem]:
        """The `k` training examples most similar to the prompt's request, most similar first (all of
        them when there are fewer than `k`; none for k <= 0)."""
        if k <= 0 or not self.examples:
            return []
        request = prompt if isinstance(prompt, str) else last_user_turn(prompt)
        if request not in self._queries:
            self._queries[request] = self._embed([request])[0]
        scores = self._vectors @ self._queries[request]
        order = np.argsort(-scores, kind="stable")[:k]
        return [self.examples[index] for index in order]

    def wrap(self, prompt: list[dict], k: int) -> list[dict]:
        """The prompt with its `k` nearest training examples in context (`few_shot_prompt`)."""
        return few_shot_prompt(prompt, self.nearest(prompt, k))


def few_shot_prompt(prompt: list[dict], shots: Sequence[ProductionItem]) -> list[dict]:
    """System messages first, then each shot as a user turn (its request) and an assistant turn (the
    experts' answer), the first shot given (the most similar) last, then the rest of the conversation."""
    system = [m for m in prompt if m["role"] == "system"]
    turns = [turn for item in reversed(shots)
             for turn in ({"role": "user", "content": last_user_turn(item.prompt)},
                          {"role": "assistant", "content": item.reference})]  # fmt: skip
    return system + turns + [m for m in prompt if m["role"] != "system"]
