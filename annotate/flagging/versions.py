"""Preference candidates from two model versions answering the very same conversation."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from annotate.flagging.consistency import PreferencePair

BASE_SCORE = 0.5  # a version comparison is worth asking; flags on either side raise its priority later


def model_version_pairs(conversations: Iterable[dict], *, new_after_rowid: int = 0) -> Iterator[PreferencePair]:
    """Pairs (older version, newer version) of the same model on an identical conversation, one per
    conversation and version pair (its first answer from each), where at least one side is newer
    than `new_after_rowid`. Streams once; keeps 16-byte digests only."""
    seen: dict[bytes, list[tuple[int, str, str | None, str | None]]] = {}
    for row in conversations:
        key = hashlib.blake2b(row["messages"].encode("utf-8"), digest_size=16).digest()
        seen.setdefault(key, []).append((row["rowid"], row["id"], row["model_name"], row["model_version"]))
    for answers in seen.values():
        firsts: dict[tuple[str | None, str | None], tuple[int, str]] = {}
        for rowid, record_id, name, version in answers:
            firsts.setdefault((name, version), (rowid, record_id))  # one answer per model version
        versions = sorted(key for key in firsts if key[1] is not None)
        for index, (name, version) in enumerate(versions):
            for other_name, other_version in versions[index + 1 :]:
                if other_name != name:
                    continue
                (rowid, older), (other_rowid, newer) = firsts[(name, version)], firsts[(other_name, other_version)]
                if max(rowid, other_rowid) <= new_after_rowid:
                    continue
                detail = f"{name} {version} and {other_version} answered the same conversation"
                yield PreferencePair(older, newer, "model_versions", BASE_SCORE, detail)
