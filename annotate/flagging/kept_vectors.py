"""The store as the refusal judge's embedding cache (`annotate.text.refusal_reference.VectorCache`).

A text's vector is keyed by the model and the text's 16-byte BLAKE2b digest and kept as float32
bytes, so a kept vector is bit for bit the one the model computed: a re-run, a re-check or the next
round judges a request it has seen exactly as before, without loading the model for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np

from annotate.store import Store


def text_hash(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class StoreVectors:
    def __init__(self, store: Store):
        self.store = store

    def get(self, model: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        by_hash = {text_hash(text): text for text in texts}
        kept = self.store.kept_vectors(model, list(by_hash))
        return {by_hash[key]: np.frombuffer(vector, dtype="<f4") for key, vector in kept.items()}

    def put(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        self.store.keep_vectors(model, [(text_hash(text), np.asarray(vector, dtype="<f4").tobytes())
                                        for text, vector in vectors.items()])  # fmt: skip
