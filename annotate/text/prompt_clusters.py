"""Prompt clusters: TF-IDF vectors of prompts grouped by k-means (seeded). Selection spreads each
batch over them; the round report compares two rounds' mixes of them (drift)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

TOP_TERMS = 3


@dataclass(frozen=True)
class PromptClusters:
    labels: np.ndarray  # a cluster per prompt
    terms: list[list[str]]  # each cluster's top TF-IDF terms, a label people can read

    @property
    def count(self) -> int:
        """Distinct clusters in use (identical prompts can leave some of the k empty)."""
        return int(len(np.unique(self.labels)))


def cluster_prompts(prompts: list[str], k: int, seed: int, *, stop_words: str | None = None) -> PromptClusters:
    """Up to `k` clusters of `prompts` (TF-IDF of words and word pairs, k-means)."""
    k = max(1, min(k, len(prompts)))
    if k == 1:
        return PromptClusters(np.zeros(len(prompts), dtype=int), [[]])
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1, stop_words=stop_words)
    vectors = vectorizer.fit_transform(prompts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # identical prompts make fewer distinct clusters: fine
        model = KMeans(n_clusters=k, random_state=seed, n_init=3).fit(vectors)
    vocabulary = vectorizer.get_feature_names_out()
    terms = [[str(vocabulary[i]) for i in centre.argsort()[::-1][:TOP_TERMS]] for centre in model.cluster_centers_]
    return PromptClusters(model.labels_, terms)
