"""Quality gates the export runs on its examples before splitting: pure functions, no database.

Each gate returns the examples it lets through (in their input order) and a `GateReport` for the
manifest. Near-duplicate detection is MinHash over word n-gram shingles (signatures computed in
bulk with numpy: the values datasketch's `MinHash` gives), LSH for candidate pairs (clustering
buckets the bands of `datasketch.MinHashLSH(threshold, num_perm)` with numpy; the eval/train
check queries a `MinHashLSH`), and `rapidfuzz` to verify each candidate on the text itself;
clusters are the connected components of verified pairs.
"""

from __future__ import annotations

import random
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import chain, combinations
from pathlib import Path

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from rapidfuzz import fuzz

from annotate.export.examples import Example
from annotate.export.spec import Balance, Conflicts, ExactDuplicates, NearDuplicates
from annotate.flagging.formats import _checker
from annotate.pii import redact_personal_data

ANSWER_ORIGINS = ("correction", "accepted", "preference")  # answers written or approved by experts: format-checked
CONFLICT_ORIGINS = ("correction", "accepted")
NO_CATEGORY = "none"

_WORD = re.compile(r"\w+")
_ENDS = re.compile(r"^[\W_]+|[\W_]+$")
_SEED = 1  # datasketch's default MinHash seed: the permutations every signature here uses
_SCHEME = "affine32"
_CHUNK_SHINGLES = 1 << 11  # shingles permuted at once: 1 MB at 128 permutations, cache-sized (4x faster than 64 MB)
_CONFLICT_LSH_THRESHOLD = 0.5  # loose: candidates only; rapidfuzz at spec.prompt_similarity decides
_CONFLICT_NGRAM = 2  # questions are short: bigrams keep a one-word change a candidate
_CONFLICT_NUM_PERM = 128
_BUCKET_NEIGHBOURS = 64  # bounds the pairs a huge LSH bucket makes; its members still chain together


@dataclass
class GateReport:
    """What one gate did. `dropped` rows are {"id", "reason", "detail"}: detail is the kept id for
    duplicates, the other ids (", "-joined) for conflicts, "validator: problem" for formats, the
    full category for the balance cap."""

    name: str
    enabled: bool
    dropped: list[dict] = field(default_factory=list)
    counts: dict = field(default_factory=dict)


# --- exact and near duplicates -------------------------------------------------------------------


def exact_duplicates(examples: list[Example], spec: ExactDuplicates) -> tuple[list[Example], GateReport]:
    """Keep one example per normalised (prompt, answer[, rejected]) of the same kind (and KTO label):
    the best agreed, ties by id."""
    if not spec.enabled:
        return list(examples), GateReport("exact_duplicates", False)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        groups[(_kind_key(example), _exact_key(example))].append(index)
    kept, dropped = _keep_best(examples, list(groups.values()), "exact_duplicate")
    clusters = sum(1 for members in groups.values() if len(members) > 1)
    return kept, GateReport("exact_duplicates", True, dropped, {"dropped": len(dropped), "clusters": clusters})


def near_duplicates(examples: list[Example], spec: NearDuplicates) -> tuple[list[Example], GateReport, dict[str, int]]:
    """Keep the best-agreed example of each cluster of near-duplicate prompt + answer texts (same kind
    and KTO label only); also return `prompt_clusters` of every input example, whether or not the
    gate is enabled, for the group-aware split."""
    clusters = prompt_clusters(examples, spec)
    if not spec.enabled:
        return list(examples), GateReport("near_duplicates", False), clusters
    texts = [f"{example.prompt_text}\n{example.answer}" + (f"\n{example.rejected}" if example.kind == "dpo" else "")
             for example in examples]  # a pair is a duplicate only when its rejected side is too
    labels = _cluster_texts(
        texts, spec.threshold, spec.verify_above, spec.num_perm, partition=[_kind_key(example) for example in examples]
    )
    groups = _members(labels)
    kept, dropped = _keep_best(examples, groups, "near_duplicate")
    counts = {"dropped": len(dropped), "clusters": sum(1 for members in groups if len(members) > 1)}
    return kept, GateReport("near_duplicates", True, dropped, counts), clusters


def prompt_clusters(examples: list[Example], spec: NearDuplicates) -> dict[str, int]:
    """Every example's id -> a cluster number (0, 1, ... by first appearance); examples whose
    prompt texts are verified near duplicates (LSH at spec.threshold, rapidfuzz at spec.verify_above)
    share one, transitively."""
    labels = _cluster_texts(
        [example.prompt_text for example in examples], spec.threshold, spec.verify_above, spec.num_perm
    )
    return {example.id: label for example, label in zip(examples, labels)}


def near_duplicate_pairs(
    queries: list[Example], index: list[Example], spec: NearDuplicates
) -> list[tuple[str, str, float]]:
    """(query id, index id, similarity) for every example of `index` whose prompt text is a verified
    near duplicate of a query's (the eval/train leakage check); runs whether or not the gate is enabled."""
    index_texts = [_collapse(example.prompt_text) for example in index]
    query_texts = [_collapse(example.prompt_text) for example in queries]
    lsh = _index(_minhashes(index_texts, spec.num_perm, 3), spec.threshold, spec.num_perm)
    pairs = []
    for query, text, minhash in zip(queries, query_texts, _minhashes(query_texts, spec.num_perm, 3)):
        if minhash is None:
            continue
        for position in sorted(lsh.query(minhash)):
            similarity = _similarity(text, index_texts[position], spec.verify_above)
            if similarity is not None:
                pairs.append((query.id, index[position].id, similarity))
    return pairs


# --- conflicts -----------------------------------------------------------------------------------


def conflicts(examples: list[Example], spec: Conflicts) -> tuple[list[Example], GateReport]:
    """Leave out every SFT correction/accepted example of a group of near-identical prompts
    (rapidfuzz >= spec.prompt_similarity) in which two answers are less similar than spec.answers_below."""
    if not spec.enabled:
        return list(examples), GateReport("conflicts", False)
    eligible = [i for i, example in enumerate(examples) if _conflict_eligible(example)]
    labels = _cluster_texts(
        [examples[i].prompt_text for i in eligible],
        _CONFLICT_LSH_THRESHOLD,
        spec.prompt_similarity,
        _CONFLICT_NUM_PERM,
        ngram=_CONFLICT_NGRAM,
    )
    excluded: dict[int, list[str]] = {}
    groups = 0
    for members in _members(labels):
        group = [eligible[m] for m in members]
        if len(group) > 1 and _answers_contradict([examples[i].answer for i in group], spec.answers_below):
            groups += 1
            for i in group:
                excluded[i] = [examples[j].id for j in group if j != i]
    kept = [example for i, example in enumerate(examples) if i not in excluded]
    dropped = [_drop(examples[i], "conflict", ", ".join(others)) for i, others in sorted(excluded.items())]
    counts = {"dropped": len(dropped), "groups": groups, "checked": len(eligible)}
    return kept, GateReport("conflicts", True, dropped, counts)


def _conflict_eligible(example: Example) -> bool:
    return example.kind == "sft" and example.is_production and example.origin in CONFLICT_ORIGINS


def _answers_contradict(answers: list[str], below: float) -> bool:
    texts = [_collapse(answer) for answer in answers]
    return any(fuzz.ratio(a, b) / 100 < below for a, b in combinations(texts, 2))


# --- personal data, formats, balance ---------------------------------------------------------------


def scrub_pii(
    examples: list[Example], enabled: bool, entities: list[str], min_score: float
) -> tuple[list[Example], GateReport]:
    """Copies of the examples with personal data in every message replaced by `<ENTITY_TYPE>`;
    counts per entity type. Drops nothing."""
    if not enabled:
        return list(examples), GateReport("pii", False)
    found: Counter[str] = Counter()

    def redact(text: str | None) -> str | None:
        if not text:
            return text
        text, entities_found = redact_personal_data(text, entities, min_score)
        found.update(entities_found)
        return text

    scrubbed = []
    for example in examples:
        prompt = [_redact_message(message, redact) for message in example.prompt]
        scrubbed.append(
            replace(
                example,
                prompt=prompt,
                completion=redact(example.completion),
                chosen=redact(example.chosen),
                rejected=redact(example.rejected),
            )
        )
    counts = {entity: found.get(entity, 0) for entity in entities} | dict(found)
    return scrubbed, GateReport("pii", True, [], counts)


def _redact_message(message: dict, redact) -> dict:
    copy = dict(message)
    if isinstance(copy.get("content"), str):
        copy["content"] = redact(copy["content"])
    return copy


def format_failures(
    examples: list[Example], enabled: bool, validators, project_root: Path
) -> tuple[list[Example], GateReport]:
    """Leave out expert answers (origin correction/accepted/preference: the completion or chosen
    text) that fail a format validator applying to their system prompt."""
    if not enabled:
        return list(examples), GateReport("formats", False)
    checks = [(validator, _checker(validator, project_root)) for validator in validators]
    kept, dropped, failures = [], [], Counter()
    for example in examples:
        problems = _format_problems(example, checks) if example.origin in ANSWER_ORIGINS else []
        if problems:
            failures.update(name for name, _ in problems)
            dropped.append(_drop(example, "format", "; ".join(f"{name}: {problem}" for name, problem in problems)))
        else:
            kept.append(example)
    counts = {
        "dropped": len(dropped),
        "checked": sum(e.origin in ANSWER_ORIGINS for e in examples),
        "by_validator": dict(failures),
    }
    return kept, GateReport("formats", True, dropped, counts)


def _format_problems(example: Example, checks: list) -> list[tuple[str, str]]:
    system = "\n".join(m.get("content") or "" for m in example.prompt if m.get("role") == "system")
    problems = []
    for validator, check in checks:
        if validator.when_system_contains and validator.when_system_contains not in system:
            continue
        if problem := check(example.answer):
            problems.append((validator.name, problem))
    return problems


def balance(examples: list[Example], spec: Balance, seed: int) -> tuple[list[Example], GateReport]:
    """Cap and/or oversample production train examples per failure category ("none" for none); an
    example counts under each of its categories. The cap keeps an example only while every one of its
    categories has room (best agreement first, then a seeded order); oversampling repeats examples of
    rarer categories (ids "<id>#2", "#3", ...) until each has `oversample_to`. Other examples pass."""
    enabled = spec.cap_per_category is not None or spec.oversample_to is not None
    pool = [example for example in examples if _balanced(example)]
    before = _category_counts(pool)
    if not enabled:
        return list(examples), GateReport("balance", False, [], {"before": before, "after": before})
    order = _priority(pool, seed)
    kept_ids, dropped = _cap(order, spec.cap_per_category) if spec.cap_per_category else ({id(e) for e in pool}, [])
    kept = [example for example in examples if not _balanced(example) or id(example) in kept_ids]
    copies = _oversample([e for e in order if id(e) in kept_ids], spec.oversample_to) if spec.oversample_to else []
    after = _category_counts([example for example in kept if _balanced(example)] + copies)
    return kept + copies, GateReport("balance", True, dropped, {"before": before, "after": after})


def _balanced(example: Example) -> bool:
    return example.is_production and example.split == "train"


def _categories(example: Example) -> tuple[str, ...]:
    return tuple(dict.fromkeys(example.categories)) or (NO_CATEGORY,)


def _category_counts(examples: Iterable[Example]) -> dict[str, int]:
    return dict(sorted(Counter(chain.from_iterable(_categories(e) for e in examples)).items()))


def _priority(examples: list[Example], seed: int) -> list[Example]:
    """Best agreement first (None last); a seeded shuffle orders equals."""
    shuffled = sorted(examples, key=lambda example: example.id)
    random.Random(seed).shuffle(shuffled)
    return sorted(shuffled, key=lambda example: -example.agreement if example.agreement is not None else float("inf"))


def _cap(order: list[Example], cap: int) -> tuple[set[int], list[dict]]:
    counts: Counter[str] = Counter()
    kept, dropped = set(), []
    for example in order:
        full = [category for category in _categories(example) if counts[category] >= cap]
        if full:
            dropped.append(_drop(example, "category_cap", full[0]))
            continue
        kept.add(id(example))
        counts.update(_categories(example))
    return kept, dropped


def _oversample(order: list[Example], target: int) -> list[Example]:
    """Copies of examples (in priority order, round robin) of each category below `target`, rarest first."""
    counts = Counter(chain.from_iterable(_categories(e) for e in order))
    repeats: Counter[str] = Counter()
    copies = []
    for category in sorted(counts, key=lambda c: (counts[c], c)):
        members = [example for example in order if category in _categories(example)]
        k = 0
        while counts[category] < target:
            example = members[k % len(members)]
            k += 1
            repeats[example.id] += 1
            copies.append(
                replace(
                    example,
                    id=f"{example.id}#{repeats[example.id] + 1}",
                    lineage={**example.lineage, "repeat_of": example.id},
                )
            )
            counts.update(_categories(example))
    return copies


# --- shared helpers --------------------------------------------------------------------------------


def _kind_key(example: Example) -> tuple:
    return (example.kind, example.label) if example.kind == "kto" else (example.kind,)


def _normalise(text: str) -> str:
    """Casefolded, whitespace collapsed, punctuation stripped at both ends."""
    return _ENDS.sub("", _collapse(text))


def _collapse(text: str) -> str:
    return " ".join(text.casefold().split())


def _exact_key(example: Example) -> str:
    parts = [example.prompt_text, example.answer] + ([example.rejected or ""] if example.kind == "dpo" else [])
    return "\x1f".join(_normalise(part) for part in parts)


def _rank(example: Example) -> tuple:
    """Sort key: best agreement first (None lowest), then id."""
    return (-example.agreement if example.agreement is not None else float("inf"), example.id)


def _keep_best(examples: list[Example], groups: list[list[int]], reason: str) -> tuple[list[Example], list[dict]]:
    dropped_by: dict[int, str] = {}
    for members in groups:
        best = min(members, key=lambda i: _rank(examples[i]))
        dropped_by.update({i: examples[best].id for i in members if i != best})
    kept = [example for i, example in enumerate(examples) if i not in dropped_by]
    return kept, [_drop(examples[i], reason, kept_id) for i, kept_id in sorted(dropped_by.items())]


def _drop(example: Example, reason: str, detail: str) -> dict:
    return {"id": example.id, "reason": reason, "detail": detail}


def _members(labels: list[int]) -> list[list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[label].append(index)
    return list(groups.values())


def _similarity(a: str, b: str, at_least: float) -> float | None:
    """rapidfuzz's normalised Indel similarity in [0, 1], or None below `at_least`."""
    score = fuzz.ratio(a, b, score_cutoff=round(at_least * 100, 6))
    return round(score / 100, 4) if score else None


def _cluster_texts(
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
    collapsed = [_collapse(text) for text in texts]
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
    signatures, has_words = _signatures([collapsed[i] for i in distinct], num_perm, ngram)
    rows = np.flatnonzero(has_words)  # signature row -> position in `distinct`
    for row_i, row_j in _candidate_pairs(signatures, threshold, num_perm).tolist():
        i, j = distinct[rows[row_i]], distinct[rows[row_j]]
        if part[i] == part[j] and find(i) != find(j) and _similarity(collapsed[i], collapsed[j], verify_above):
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


def _index(minhashes: list[LeanMinHash | None], threshold: float, num_perm: int) -> MinHashLSH:
    """An LSH index of the non-empty minhashes, keyed by their position."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    with lsh.insertion_session() as session:
        for position, minhash in enumerate(minhashes):
            if minhash is not None:
                session.insert(position, minhash, check_duplication=False)
    return lsh


def _minhashes(texts: list[str], num_perm: int, ngram: int) -> list[LeanMinHash | None]:
    """A LeanMinHash per text (None for a text without words)."""
    signatures, has_words = _signatures(texts, num_perm, ngram)
    rows = iter(signatures)
    return [LeanMinHash(seed=_SEED, hashvalues=next(rows), scheme=_SCHEME) if ok else None for ok in has_words]


def _signatures(texts: list[str], num_perm: int, ngram: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures of the texts' word n-gram shingles (casefolded \\w+ words; a text with
    fewer words is one shingle), computed in bulk with numpy: the same values as datasketch's
    `MinHash(num_perm, seed=1)` (affine32) updated with the shingles' 32-bit hashes. Returns the
    signatures of the texts with words (rows in order) and a boolean mask of which texts have words."""
    tokens = [_WORD.findall(text.casefold()) for text in texts]
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    shingles, per_text = _shingle_hashes(tokens, lengths, ngram)
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


def _shingle_hashes(tokens: list[list[str]], lengths: np.ndarray, ngram: int) -> tuple[np.ndarray, np.ndarray]:
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
