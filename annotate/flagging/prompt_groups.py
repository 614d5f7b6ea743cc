"""Paraphrase groups for records whose log names none: prompts that say nearly the same thing.

TF-IDF vectors of the last user message; k-means buckets them so that only prompts in the same
bucket are compared (linear in the number of records, not quadratic); within a bucket, pairs
at or above the cosine threshold are joined, and connected components of two or more form a group.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BUCKET_SIZE = 64  # prompts compared pairwise per k-means bucket


def group_similar_prompts(prompts: Sequence[str], threshold: float, seed: int = 0) -> list[list[int]]:
    """Indices of `prompts` grouped by similarity (groups of two or more, in first-index order)."""
    if len(prompts) < 2:
        return []
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = TfidfVectorizer(lowercase=True, ngram_range=(1, 2), min_df=1, sublinear_tf=True).fit_transform(prompts)
    n_buckets = max(1, len(prompts) // BUCKET_SIZE)
    if n_buckets == 1:
        labels = np.zeros(len(prompts), dtype=int)
    else:
        labels = MiniBatchKMeans(n_clusters=n_buckets, random_state=seed, n_init=1, batch_size=4096).fit_predict(vectors)
    parent = list(range(len(prompts)))
    for bucket in np.unique(labels):
        members = np.flatnonzero(labels == bucket)
        if len(members) < 2:
            continue
        similar = (vectors[members] @ vectors[members].T).toarray() >= threshold
        for i, j in zip(*np.nonzero(np.triu(similar, k=1))):
            _union(parent, members[i], members[j])
    groups: dict[int, list[int]] = {}
    for index in range(len(prompts)):
        groups.setdefault(_find(parent, index), []).append(index)
    return [members for members in groups.values() if len(members) > 1]


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: list[int], i: int, j: int) -> None:
    root_i, root_j = _find(parent, int(i)), _find(parent, int(j))
    if root_i != root_j:
        parent[max(root_i, root_j)] = min(root_i, root_j)
