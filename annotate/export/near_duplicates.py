"""Near-duplicate texts at scale: a one-permutation MinHash signature of each text's character
4-gram shingles (bulk numpy, densified so short texts have one too), LSH banding for candidate pairs,
and rapidfuzz to verify each candidate. Text in, cluster numbers or verified pairs out; the export's
gates decide what to keep, and the leakage check what to refuse. Both use this one definition: two
texts are near duplicates when rapidfuzz's normalised Indel similarity of their casefolded,
whitespace-collapsed forms reaches `verify_above`.

Why characters, not words: a pair one to three words apart in a 20-word prompt shares only about
half of its word 3-grams (LSH on those proposed 85% of such pairs), but four fifths of its character
4-grams. One-permutation hashing (Li, Owen and Zhang 2012; densified by rotation, Shrivastava and
Li 2014) hashes each shingle once instead of once per permutation, which pays for the five times
more shingles. Measured recall and cost: `bench/defects.py`, `bench/export.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
from rapidfuzz import fuzz, process

SHINGLE = 4  # characters per shingle
_BUCKET_NEIGHBOURS = 64  # bounds the pairs a huge LSH bucket makes; its members still chain together
_EMPTY = np.uint32(0xFFFFFFFF)
_BAND_MIX = np.uint64(0x100000001B3)
_SHARED: ContextVar[dict | None] = ContextVar("shared_signatures", default=None)


@contextmanager
def shared_signatures() -> Iterator[None]:
    """Inside, a text's signature is computed once and reused: an export compares the same prompts
    in its prompt clusters, its conflict gate and its leakage check. A text's signature depends on
    that text alone, so reuse changes no result."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def cluster_members(labels: list[int]) -> list[list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[label].append(index)
    return list(groups.values())


def collapse(text: str) -> str:
    return " ".join(text.casefold().split())


def candidate_threshold(threshold: float | None, verify_above: float) -> float:
    """The shingle Jaccard at which LSH proposes a pair half the time: as given, or by default
    `verify_above - 0.25`, the setting measured to propose at least 99% of the pairs at or above
    `verify_above` (0.9987 at 0.9, 0.998 at 0.75 on bench/defects.py's edits) at a cost near word
    3-gram MinHash's at 100,000 texts."""
    return threshold if threshold is not None else max(0.2, verify_above - 0.25)


def band_rows(threshold: float, num_perm: int) -> int:
    """Rows per band whose S-curve midpoint (1/bands)^(1/rows) is nearest `threshold`."""
    options = range(1, max(1, num_perm // 2) + 1)
    return min(options, key=lambda rows: abs((1 / (num_perm // rows)) ** (1 / rows) - threshold))


def cluster_texts(
    texts: list[str],
    threshold: float | None,
    verify_above: float,
    num_perm: int,
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
    distinct = [i for i in range(len(texts)) if parent[i] == i and collapsed[i]]
    texts_in = [collapsed[i] for i in distinct]
    pairs = _candidate_pairs(texts_in, threshold, verify_above, num_perm)
    if partition is not None:
        codes = {value: code for code, value in enumerate(dict.fromkeys(part[i] for i in distinct))}
        owner = np.fromiter((codes[part[i]] for i in distinct), dtype=np.int64, count=len(distinct))
        pairs = pairs[owner[pairs[:, 0]] == owner[pairs[:, 1]]]
    for a, b, _similarity in _verified(texts_in, pairs, verify_above):
        i, j = find(distinct[a]), find(distinct[b])
        if i != j:
            parent[j] = i
    numbers: dict[int, int] = {}
    return [numbers.setdefault(find(i), len(numbers)) for i in range(len(texts))]


def verified_pairs(
    queries: list[str], index: list[str], threshold: float | None, verify_above: float, num_perm: int
) -> list[tuple[int, int, float]]:
    """(query position, index position, similarity) for every index text that is a near duplicate
    of a query: the same candidates and verification as `cluster_texts`, across the two lists."""
    query_texts = [collapse(text) for text in queries]
    index_texts = [collapse(text) for text in index]
    distinct: dict[str, int] = {}
    for text in query_texts + index_texts:
        if text:
            distinct.setdefault(text, len(distinct))
    texts = list(distinct)
    queries_of: dict[int, list[int]] = defaultdict(list)
    index_of: dict[int, list[int]] = defaultdict(list)
    for position, text in enumerate(query_texts):
        if text:
            queries_of[distinct[text]].append(position)
    for position, text in enumerate(index_texts):
        if text:
            index_of[distinct[text]].append(position)
    matched = [(d, d, 1.0) for d in queries_of if d in index_of]
    is_query = np.isin(np.arange(len(texts)), list(queries_of))
    is_index = np.isin(np.arange(len(texts)), list(index_of))
    pairs = _candidate_pairs(texts, threshold, verify_above, num_perm)
    a, b = pairs[:, 0], pairs[:, 1]
    pairs = pairs[(is_query[a] & is_index[b]) | (is_query[b] & is_index[a])]
    for a, b, similarity in _verified(texts, pairs, verify_above):
        matched += [(x, y, similarity) for x, y in ((a, b), (b, a)) if is_query[x] and is_index[y]]
    pairs = [(q, i, similarity) for x, y, similarity in matched for q in queries_of[x] for i in index_of[y]]
    return sorted(pairs)


def _verified(texts: list[str], pairs: np.ndarray, at_least: float) -> list[tuple[int, int, float]]:
    """The candidate pairs whose similarity reaches `at_least`, with it (rapidfuzz, in bulk)."""
    if not len(pairs):
        return []
    scores = process.cpdist([texts[i] for i in pairs[:, 0]], [texts[j] for j in pairs[:, 1]], scorer=fuzz.ratio,
                            score_cutoff=round(at_least * 100, 6), workers=-1)  # fmt: skip
    keep = np.flatnonzero(scores)
    return [(int(pairs[k, 0]), int(pairs[k, 1]), round(float(scores[k]) / 100, 4)) for k in keep]


def _candidate_pairs(texts: list[str], threshold: float | None, verify_above: float, num_perm: int) -> np.ndarray:
    """(i, j) rows, i < j, of the texts whose signatures share a band and whose lengths allow the
    similarity (rapidfuzz's ratio cannot reach s when the shorter text is under s / (2 - s) of the longer)."""
    if len(texts) < 2:
        return np.empty((0, 2), dtype=np.int64)
    signatures = shingle_signatures(texts, num_perm)
    pairs = band_pairs(signatures, band_rows(candidate_threshold(threshold, verify_above), num_perm))
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    shorter = np.minimum(lengths[pairs[:, 0]], lengths[pairs[:, 1]])
    longer = np.maximum(lengths[pairs[:, 0]], lengths[pairs[:, 1]])
    return pairs[2 * shorter >= verify_above * (shorter + longer) - 1e-9]


def band_pairs(signatures: np.ndarray, rows: int) -> np.ndarray:
    """Sorted, distinct (i, j) rows, i < j, of signatures equal on all `rows` columns of some band
    (bands: consecutive columns). Each band's keys are sorted with numpy; within a bucket each member
    pairs with its next `_BUCKET_NEIGHBOURS` (all pairs in smaller buckets)."""
    n, width = signatures.shape
    found = [np.empty((0, 2), dtype=np.int64)]
    for start in range(0, width - rows + 1, rows):
        keys = np.zeros(n, dtype=np.uint64)
        for column in range(start, start + rows):
            keys = keys * _BAND_MIX ^ signatures[:, column].astype(np.uint64)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        for offset in range(1, _BUCKET_NEIGHBOURS + 1):
            same = np.flatnonzero(ordered[offset:] == ordered[:-offset])
            if not len(same):
                break
            found.append(np.stack([order[same], order[same + offset]], axis=1))
    pairs = np.sort(np.concatenate(found), axis=1)
    codes = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([codes // max(n, 1), codes % max(n, 1)], axis=1)


def shingle_signatures(texts: list[str], num_perm: int) -> np.ndarray:
    """`signatures` of the texts, reusing those already made inside `shared_signatures`."""
    shared = _SHARED.get()
    if shared is None:
        return _signatures_of(texts, num_perm)
    known = shared.setdefault(num_perm, {})
    missing = [text for text in dict.fromkeys(texts) if text not in known]
    if missing:
        known.update(zip(missing, _signatures_of(missing, num_perm)))
    return np.stack([known[text] for text in texts]) if texts else _signatures_of(texts, num_perm)


def _signatures_of(texts: list[str], num_perm: int) -> np.ndarray:
    """A one-permutation MinHash signature per text (every text needs a character; `num_perm` bins):
    each character 4-gram (a shorter text is one shingle) is hashed once; its hash picks a bin and
    the bin keeps its smallest value. Two texts agree on a bin with probability about the Jaccard
    similarity of their shingle sets. Empty bins borrow from the next filled one (densification)."""
    hashes, per_text = shingle_hashes(texts)
    cells = np.repeat(np.arange(len(texts), dtype=np.int64) * num_perm, per_text)  # each text's first bin
    cells += hashes % np.uint32(num_perm)  # the shingle's bin
    signatures = np.full(len(texts) * num_perm, _EMPTY, dtype=np.uint32)
    np.minimum.at(signatures, cells, _fmix32(hashes ^ np.uint32(0x5BD1E995)))  # the bin's value: another hash of it
    return _densify(signatures.reshape(len(texts), num_perm))


def shingle_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The 32-bit hash of every character 4-gram, text after text, and the count per text."""
    pad = SHINGLE - 1
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    joined = ("\0" * pad).join(texts) + "\0" * pad
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) + np.uint32(1)
    starts = np.cumsum(lengths + pad) - (lengths + pad)
    codes[np.repeat(starts + lengths, pad) + np.tile(np.arange(pad), len(texts))] = 0  # pads: below every character
    rolling = codes[: len(codes) - pad].copy()
    for offset in range(1, SHINGLE):
        rolling *= np.uint32(0x01000193)  # FNV-1a's prime: wraps mod 2^32
        rolling ^= codes[offset : len(codes) - pad + offset]
    starts_here = np.zeros(len(rolling), dtype=bool)
    starts_here[starts[lengths > 0]] = True
    valid = (codes[: len(rolling)] > 0) & ((codes[pad:] > 0) | starts_here)  # whole shingles, or a short text's one
    per_text = np.where(lengths > 0, np.maximum(lengths - pad, 1), 0)
    return _fmix32(rolling[valid]), per_text


def _densify(signatures: np.ndarray) -> np.ndarray:
    """Fill each empty bin from the nearest filled bin after it (circularly), mixed with the
    distance, so similar texts with few shingles still agree bin by bin."""
    rows = np.flatnonzero((signatures == _EMPTY).any(axis=1))
    if not len(rows):
        return signatures
    width = signatures.shape[1]
    part = signatures[rows]
    empty = part == _EMPTY
    own = np.where(empty, 2 * width, np.arange(width, dtype=np.int32)).astype(np.int32)
    ahead = np.concatenate([own, np.where(empty, 2 * width, own + width)], axis=1)
    nearest = np.minimum.accumulate(ahead[:, ::-1], axis=1)[:, ::-1][:, :width]  # next filled bin, circularly
    borrowed = np.take_along_axis(part, nearest % width, axis=1)
    distance = (nearest - np.arange(width, dtype=np.int32)).astype(np.uint32)
    mixed = _fmix32(borrowed * np.uint32(0x9E3779B1) + distance) & np.uint32(0xFFFFFFFE)
    signatures = signatures.copy()
    signatures[rows] = np.where(empty, mixed, part)
    return signatures


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer: every input bit reaches every output bit (in place on a copy:
    the hashes of 100,000 texts' shingles are tens of millions of values)."""
    values = values.astype(np.uint32, copy=True)
    shifted = np.empty_like(values)
    for shift, multiplier in ((16, 0x85EBCA6B), (13, 0xC2B2AE35)):
        np.right_shift(values, np.uint32(shift), out=shifted)
        values ^= shifted
        values *= np.uint32(multiplier)
    np.right_shift(values, np.uint32(16), out=shifted)
    values ^= shifted
    return values
