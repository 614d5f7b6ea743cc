"""Near-duplicate texts at scale: MinHash signatures of word n-gram shingles (computed in bulk with
numpy, the same values as datasketch's), LSH banding for candidate pairs, and rapidfuzz to verify
each candidate. Text in, cluster numbers or verified pairs out; the export's gates decide what to
keep, and the leakage check what to refuse. Clustering buckets the bands of
`datasketch.MinHashLSH(threshold, num_perm)` with numpy; the eval/train check queries a `MinHashLSH`.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Hashable
from functools import lru_cache
from itertools import chain

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from rapidfuzz import fuzz

WORD = re.compile(r"\w+")
_SEED = 1  # datasketch's default MinHash seed: the permutations every signature here uses
_SCHEME = "affine32"
_CHUNK_SHINGLES = 1 << 11  # shingles permuted at once: 1 MB at 128 permutations, cache-sized (4x faster than 64 MB)
_BUCKET_NEIGHBOURS = 64  # bounds the pairs a huge LSH bucket makes; its members still chain together


def cluster_members(labels: list[int]) -> list[list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[label].append(index)
    return list(groups.values())


def verified_similarity(a: str, b: str, at_least: float) -> float | None:
    """rapidfuzz's normalised Indel similarity in [0, 1], or None below `at_least`."""
    score = fuzz.ratio(a, b, score_cutoff=round(at_least * 100, 6))
    return round(score / 100, 4) if score else None


def cluster_texts(
    texts: list[str],
    threshold: float,
    verify_above: float,
    num_perm: int,
    ngram: int = 3,
    partition: list[Hashable] | None = None,
) -> list[int]:
    """A cluster number per text (0, 1, ... by first appearance): connected components of pairs that
    LSH proposes and rapidfuzz (on casefolded, whitespace-collapsed text) confirms; identical texts
    join at once, empty ones stay alone. Pairs across different `partition` values never join."""
    collapsed = [collapse(text) for text in texts]
    part = partition or [None] * len(texts)
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple, int] = {}
    for i, text in enumerate(collapsed):
        if text:
            parent[i] = first.setdefault((part[i], text), i)
    distinct = [i for i in range(len(texts)) if parent[i] == i]
    signatures, has_words = minhash_signatures([collapsed[i] for i in distinct], num_perm, ngram)
    rows = np.flatnonzero(has_words)  # signature row -> position in `distinct`
    for row_i, row_j in _candidate_pairs(signatures, threshold, num_perm).tolist():
        i, j = distinct[rows[row_i]], distinct[rows[row_j]]
        if part[i] == part[j] and find(i) != find(j) and verified_similarity(collapsed[i], collapsed[j], verify_above):
            parent[find(j)] = find(i)
    numbers: dict[int, int] = {}
    return [numbers.setdefault(find(i), len(numbers)) for i in range(len(texts))]


def _candidate_pairs(signatures: np.ndarray, threshold: float, num_perm: int) -> np.ndarray:
    """Sorted (i, j) rows, i < j, of signatures that share a band in `MinHashLSH(threshold, num_perm)`'s
    banding: its insert + query candidates, bucketed with numpy (20x faster at 100,000). Within a bucket
    each member pairs with its next `_BUCKET_NEIGHBOURS` (all pairs in smaller buckets)."""
    found = [np.empty((0, 2), dtype=np.int64)]
    for start, end in MinHashLSH(threshold=threshold, num_perm=num_perm).hashranges:
        keys = np.zeros(len(signatures), dtype=np.uint64)
        for column in range(start, end):
            keys = keys * np.uint64(0x100000001B3) ^ signatures[:, column].astype(np.uint64)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        for offset in range(1, _BUCKET_NEIGHBOURS + 1):
            same = np.flatnonzero(ordered[offset:] == ordered[:-offset])
            if not len(same):
                break
            found.append(np.stack([order[same], order[same + offset]], axis=1))
    pairs = np.sort(np.concatenate(found), axis=1)
    codes = np.unique(pairs[:, 0] * len(signatures) + pairs[:, 1])
    return np.stack([codes // max(len(signatures), 1), codes % max(len(signatures), 1)], axis=1)


def lsh_index(minhashes: list[LeanMinHash | None], threshold: float, num_perm: int) -> MinHashLSH:
    """An LSH index of the non-empty minhashes, keyed by their position."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    with lsh.insertion_session() as session:
        for position, minhash in enumerate(minhashes):
            if minhash is not None:
                session.insert(position, minhash, check_duplication=False)
    return lsh


def minhashes(texts: list[str], num_perm: int, ngram: int) -> list[LeanMinHash | None]:
    """A LeanMinHash per text (None for a text without words)."""
    signatures, has_words = minhash_signatures(texts, num_perm, ngram)
    rows = iter(signatures)
    return [LeanMinHash(seed=_SEED, hashvalues=next(rows), scheme=_SCHEME) if ok else None for ok in has_words]


def minhash_signatures(texts: list[str], num_perm: int, ngram: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures of the texts' word n-gram shingles (casefolded \\w+ words; a text with
    fewer words is one shingle), computed in bulk with numpy: the same values as datasketch's
    `MinHash(num_perm, seed=1)` (affine32) updated with the shingles' 32-bit hashes. Returns the
    signatures of the texts with words (rows in order) and a boolean mask of which texts have words."""
    tokens = [WORD.findall(text.casefold()) for text in texts]
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    shingles, per_text = shingle_hashes(tokens, lengths, ngram)
    has_words = per_text > 0
    per_text = per_text[has_words]
    a, b = _permutations(num_perm)
    signatures = np.empty((len(per_text), num_perm), dtype=np.uint32)
    ends = np.cumsum(per_text)
    starts = ends - per_text
    first = 0
    while first < len(per_text):
        last = max(first + 1, int(np.searchsorted(ends, starts[first] + _CHUNK_SHINGLES, side="right")))
        chunk = _fmix32(shingles[starts[first] : ends[last - 1]])
        permuted = chunk[:, None] * a[None, :] + b[None, :]  # wraps mod 2^32, as datasketch's affine32
        signatures[first:last] = np.minimum.reduceat(permuted, starts[first:last] - starts[first], axis=0)
        first = last
    return signatures, has_words


def shingle_hashes(tokens: list[list[str]], lengths: np.ndarray, ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """The 32-bit hash of every shingle, text after text, and the number of shingles per text."""
    flat = list(chain.from_iterable(tokens))
    vocabulary = {word: zlib.crc32(word.encode()) + 1 for word in set(flat)}  # 0 is the padding
    words = np.fromiter(map(vocabulary.__getitem__, flat), dtype=np.uint64, count=len(flat))
    pad = ngram - 1  # zeros after each text, so a shorter text still makes one shingle
    text_index = np.arange(len(lengths))
    padded = np.zeros(len(flat) + pad * len(lengths) + pad, dtype=np.uint64)
    padded[np.arange(len(flat)) + pad * np.repeat(text_index, lengths)] = words
    text_starts = np.cumsum(lengths) - lengths + pad * text_index
    per_text = np.where(lengths > 0, np.maximum(lengths - ngram + 1, 1), 0)
    within = np.arange(per_text.sum()) - np.repeat(np.cumsum(per_text) - per_text, per_text)
    positions = np.repeat(text_starts, per_text) + within
    hashes = padded[positions]
    for offset in range(1, ngram):
        hashes = hashes * np.uint64(0x100000001B3) ^ padded[positions + offset]
    return (hashes ^ (hashes >> np.uint64(32))).astype(np.uint32), per_text


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = MinHash(num_perm=num_perm, seed=_SEED, scheme=_SCHEME).permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it to input hashes."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def collapse(text: str) -> str:
    return " ".join(text.casefold().split())


def verified_pairs(
    queries: list[str], index: list[str], threshold: float, verify_above: float, num_perm: int
) -> list[tuple[int, int, float]]:
    """(query position, index position, similarity) for every index text that LSH proposes for a
    query and rapidfuzz confirms at `verify_above` (both casefolded and whitespace-collapsed)."""
    index_texts = [collapse(text) for text in index]
    query_texts = [collapse(text) for text in queries]
    lsh = lsh_index(minhashes(index_texts, num_perm, 3), threshold, num_perm)
    pairs = []
    for query, (text, minhash) in enumerate(zip(query_texts, minhashes(query_texts, num_perm, 3))):
        if minhash is None:
            continue
        for position in sorted(lsh.query(minhash)):
            similarity = verified_similarity(text, index_texts[position], verify_above)
            if similarity is not None:
                pairs.append((query, position, similarity))
    return pairs
