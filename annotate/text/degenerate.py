"""Degenerate model output: answers that are broken whatever the question, caught one by one.

Kinds (`KINDS`), each a pure check of the answer and of how its generation stopped:

- `empty`: nothing but whitespace.
- `repetition`: a piece of 1 to 4 characters repeated 10 times or more in a row ("qqqq…",
  "ababab…"; spaces and line breaks do not count), or an answer of at least 8 word 4-grams of which
  half or more repeat an earlier one ("I can help. I can help. I can help…").
- `truncated`: generation hit `max_new_tokens` before the model ended its turn.
- `no_end_of_turn`: generation stopped on a special token other than the end-of-turn token (an
  `<|endoftext|>` where `<|im_end|>` belongs): a chat server would not have stopped there.
- `template_leak`: chat-template markup in the answer or as its stop token (`<|im_start|>`,
  `[INST]`, `<start_of_turn>`, a line that is only a role name): the model writes the next turn.

The evaluation reports each variant's rate of each kind and the gate caps them; the human
evaluation never shows an expert a degenerate answer.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

KINDS = ("empty", "repetition", "truncated", "no_end_of_turn", "template_leak")
# Stop reasons of a generation.
END_OF_TURN, LENGTH, OTHER_TOKEN = "end_of_turn", "length", "other"

_CHARACTER_RUN = re.compile(r"(\S{1,4}?)\1{9,}")
_MARKUP = re.compile(r"<\|[A-Za-z_]{2,30}\|>|\[/?INST\]|<</?SYS>>|</?(?:start|end)_of_turn>|^(?:system|user|assistant)$",
                     re.MULTILINE)  # fmt: skip
_NEXT_TURN = re.compile(r"<\|im_start\|>|<\|(?:system|user|assistant)\|>|\[INST\]|<start_of_turn>")  # a stop token opening a turn
_NGRAM = 4
_MIN_NGRAMS = 8
_REPEATED_SHARE = 0.5


@dataclass(frozen=True)
class Generation:
    """One generated answer and how its generation ended (`stop` None: not known)."""

    text: str
    tokens: int | None = None  # new tokens generated
    stop: str | None = None  # END_OF_TURN, LENGTH or OTHER_TOKEN
    stop_token: str | None = None  # the special token it stopped on, when it was one
    seconds: float | None = field(default=None, compare=False)  # its share of its batch's generation time


def degenerate_kinds(generation: Generation) -> list[str]:
    """The kinds of degeneracy found in one answer, in `KINDS` order ([] when it is fine)."""
    text = generation.text
    found = set()
    if not text.strip():
        found.add("empty")
    elif is_repetitive(text):
        found.add("repetition")
    if generation.stop == LENGTH:
        found.add("truncated")
    if generation.stop == OTHER_TOKEN:
        found.add("no_end_of_turn")
    if _MARKUP.search(text) or (generation.stop_token and _NEXT_TURN.fullmatch(generation.stop_token)):
        found.add("template_leak")
    return [kind for kind in KINDS if kind in found]


def is_repetitive(text: str) -> bool:
    """A short piece repeated 10+ times in a row, or word 4-grams that are mostly repeats."""
    if _CHARACTER_RUN.search(re.sub(r"\s+", "", text)):
        return True
    words = text.lower().split()
    ngrams = [tuple(words[i : i + _NGRAM]) for i in range(len(words) - _NGRAM + 1)]
    if len(ngrams) < _MIN_NGRAMS:
        return False
    repeats = len(ngrams) - len(Counter(ngrams))
    return repeats / len(ngrams) >= _REPEATED_SHARE
