"""The data-quality profile of an export (for the manifest): completeness, lengths, lexical
diversity, category and source mix, and how well the train prompts cover the production population.

Coverage clusters the population's prompts (TF-IDF + k-means) and compares the share of the
population and of the train set in each cluster: a train set built from easy cases crowds into a
few clusters, which the Jensen-Shannon distance between the two shares shows (0 same mix, 1 disjoint).
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from itertools import chain, pairwise

import numpy as np
from scipy.spatial.distance import jensenshannon
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer

from annotate.export.examples import Example

POPULATION_CAP = 20_000
MAX_CLUSTERS = 50
TOP_TERMS = 5
NO_CATEGORY = "none"

_WORD = re.compile(r"\w+")


def quality_profile(train: list[Example], eval: list[Example], population_prompts: list[str], seed: int = 0) -> dict:
    """The profile of the train and eval examples, and the train set's coverage of `population_prompts`
    (all production prompts, say). JSON-serialisable."""
    splits = {"train": train, "eval": eval}
    return {
        "examples": {name: len(examples) for name, examples in splits.items()},
        "completeness": {name: completeness(examples) for name, examples in splits.items()},
        "lengths": {name: lengths(examples) for name, examples in splits.items()},
        "diversity": {name: diversity([e.answer for e in examples]) for name, examples in splits.items()},
        "categories": {name: category_mix(examples) for name, examples in splits.items()},
        "sources": {name: dict(Counter(e.source for e in examples).most_common()) for name, examples in splits.items()},
        "origins": {name: dict(Counter(e.origin for e in examples).most_common()) for name, examples in splits.items()},
        "coverage": coverage(population_prompts, [e.prompt_text for e in train], [e.prompt_text for e in eval], seed),
    }


def completeness(examples: list[Example]) -> dict:
    """Share of examples with a non-empty answer, prompt (user turns) and failure categories."""
    if not examples:
        return {"answer": None, "prompt": None, "categories": None}
    return {
        "answer": _share(bool(e.answer.strip()) for e in examples),
        "prompt": _share(bool(e.prompt_text.strip()) for e in examples),
        "categories": _share(bool(e.categories) for e in examples),
    }


def lengths(examples: list[Example]) -> dict:
    """Prompt and answer lengths in (whitespace-separated) words."""
    return {
        "prompt_words": distribution([len(e.prompt_text.split()) for e in examples]),
        "answer_words": distribution([len(e.answer.split()) for e in examples]),
    }


def distribution(values: list[int]) -> dict:
    """min, p50, p90, max and mean (None for no values)."""
    if not values:
        return dict.fromkeys(("min", "p50", "p90", "max", "mean"))
    array = np.asarray(values, dtype=float)
    return {
        "min": int(array.min()),
        "p50": _round(np.percentile(array, 50)),
        "p90": _round(np.percentile(array, 90)),
        "max": int(array.max()),
        "mean": _round(array.mean()),
    }


def diversity(texts: list[str]) -> dict:
    """distinct-1 and distinct-2 (distinct unigrams / bigrams over all of them, corpus level) and the
    mean type-token ratio of a text, on casefolded words."""
    tokens = [_WORD.findall(text.casefold()) for text in texts]
    unigrams = list(chain.from_iterable(tokens))
    bigrams = [pair for words in tokens for pair in pairwise(words)]
    ratios = [len(set(words)) / len(words) for words in tokens if words]
    return {
        "distinct_1": _round(len(set(unigrams)) / len(unigrams)) if unigrams else None,
        "distinct_2": _round(len(set(bigrams)) / len(bigrams)) if bigrams else None,
        "type_token_ratio": _round(sum(ratios) / len(ratios)) if ratios else None,
    }


def category_mix(examples: list[Example]) -> dict[str, int]:
    """Examples per failure category (an example counts under each of its own; "none" for none)."""
    counts = Counter(chain.from_iterable(dict.fromkeys(e.categories) or (NO_CATEGORY,) for e in examples))
    return dict(counts.most_common())


def coverage(population: list[str], train: list[str], eval: list[str], seed: int = 0) -> dict:
    """Cluster the population's prompts (TF-IDF, k-means with k = sqrt(n) capped at 50, at most 20,000
    prompts sampled with `seed`); the share of population, train and eval in each cluster, and the
    Jensen-Shannon distance (base 2, in [0, 1]) of train's and eval's shares from the population's."""
    population = [text for text in population if text.strip()]
    if len(population) > POPULATION_CAP:
        population = random.Random(seed).sample(population, POPULATION_CAP)
    k = min(MAX_CLUSTERS, round(math.sqrt(len(population))))
    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=1)
    try:
        matrix = vectorizer.fit_transform(population)
    except ValueError:  # no prompts, or only stop words
        k = 0
    if k < 2:
        return {"population": len(population), "clusters": [], "train_js_distance": None, "eval_js_distance": None}
    model = KMeans(n_clusters=k, random_state=seed, n_init=3).fit(matrix)
    shares = {"population": _shares(model.labels_, k)}
    for name, texts in (("train", train), ("eval", eval)):
        shares[name] = _shares(model.predict(vectorizer.transform(texts)), k) if texts else None
    terms = vectorizer.get_feature_names_out()
    clusters = [
        {
            "terms": [str(terms[t]) for t in np.argsort(-model.cluster_centers_[c])[:TOP_TERMS]],
            **{name: (_round(share[c]) if share is not None else None) for name, share in shares.items()},
        }
        for c in range(k)
    ]
    return {
        "population": len(population),
        "clusters": clusters,
        "train_js_distance": _js(shares["population"], shares["train"]),
        "eval_js_distance": _js(shares["population"], shares["eval"]),
    }


def _shares(labels: np.ndarray, k: int) -> np.ndarray:
    counts = np.bincount(labels, minlength=k).astype(float)
    return counts / counts.sum()


def _js(p: np.ndarray, q: np.ndarray | None) -> float | None:
    return None if q is None else _round(jensenshannon(p, q, base=2))


def _share(flags) -> float:
    flags = list(flags)
    return _round(sum(flags) / len(flags))


def _round(value: float) -> float:
    return round(float(value), 4)
