"""Text similarity in [0, 1], pluggable: lexical by default (no model), embeddings when configured.

Used to decide whether answers within a paraphrase group agree (the inconsistency flagger) and,
later, by evaluation's consistency metric, so both measure the same thing.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol

import numpy as np

from annotate.config import Flagging

_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")


class TextSimilarity(Protocol):
    def cross(self, texts: list[str], others: list[str]) -> np.ndarray:
        """Similarities in [0, 1] of every text (rows) to every other text (columns)."""


class LexicalSimilarity:
    """Token-set overlap (rapidfuzz), discounted when the texts state different numbers.

    Token sets forgive word order and an answer that is a shortened form of another; the number
    check catches the disagreement token overlap misses ("refunds take 5 days" vs "14 days").
    """

    def cross(self, texts: list[str], others: list[str]) -> np.ndarray:
        from rapidfuzz import fuzz, process

        scores = process.cdist(texts, others, scorer=fuzz.token_set_ratio, processor=str.lower, workers=1) / 100.0
        blank = np.array([not text.strip() for text in texts])[:, None] & np.array([not text.strip() for text in others])[None, :]
        scores[blank] = 1.0  # two empty answers say the same thing (rapidfuzz scores them 0)
        numbers = [frozenset(_NUMBER.findall(text)) for text in texts]
        other_numbers = [frozenset(_NUMBER.findall(text)) for text in others]
        for i, mine in enumerate(numbers):
            if mine:
                for j, theirs in enumerate(other_numbers):
                    if theirs and mine != theirs:
                        scores[i, j] *= _number_agreement(mine, theirs)
        return scores


def _number_agreement(a: set[str], b: set[str]) -> float:
    """1 when either text states no number or both state the same ones; down to 0.5 when disjoint."""
    if not a or not b:
        return 1.0
    return 0.5 + 0.5 * len(a & b) / len(a | b)


class EmbeddingSimilarity:
    """Cosine similarity of mean-pooled hidden states of a local transformers model."""

    def __init__(self, model_path: str):
        self.model_path = model_path

    def cross(self, texts: list[str], others: list[str]) -> np.ndarray:
        return np.clip(_embed(self.model_path, tuple(texts)) @ _embed(self.model_path, tuple(others)).T, 0.0, 1.0)


def _embed(model_path: str, texts: tuple[str, ...]) -> np.ndarray:
    return mean_pooled_embeddings(*_load(model_path), texts)


def mean_pooled_embeddings(tokenizer, model, texts, max_length: int = 256, batch_size: int = 32) -> np.ndarray:
    """L2-normalised mean-pooled (over the attention mask) last hidden states, one row per text: how
    sentence-transformers embeds with models such as all-MiniLM-L6-v2. torch is imported here."""
    import torch

    rows = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(list(texts[start : start + batch_size]), padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt")  # fmt: skip
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            rows.append(torch.nn.functional.normalize(pooled, p=2, dim=1).float().numpy())
    if not rows:
        return np.zeros((0, model.config.hidden_size), dtype=np.float32)
    return np.concatenate(rows)


@lru_cache(maxsize=2)
def _load(model_path: str):
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModel.from_pretrained(model_path)
    model.eval()
    return tokenizer, model


def similarity_for(settings: Flagging) -> TextSimilarity:
    if settings.similarity == "embedding":
        return EmbeddingSimilarity(settings.embedding_model or "")
    return LexicalSimilarity()
