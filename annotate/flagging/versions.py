"""Preference candidates from two model versions answering the very same conversation."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from annotate.flagging.consistency import PreferencePair

BASE_SCORE = 0.5  # a version comparison is worth asking; flags on either side raise its priority later


def model_version_pairs(conversations: Iterable[dict], *, new_after_rowid: int = 0) -> Iterator[PreferencePair]:
    """Pairs (older version, newer version) of the same model on an identical conversation, where
    at least one side is newer than `new_after_rowid`. Streams once; keeps 16-byte digests only."""
    seen: dict[bytes, list[tuple[int, str, str | None, str | None]]] = {}
    for row in conversations:
        key = hashlib.blake2b(row["messages"].encode("utf-8"), digest_size=16).digest()
        seen.setdefault(key, []).append((row["rowid"], row["id"], row["model_name"], row["model_version"]))
    for answers in seen.values():
        if len(answers) < 2:
            continue
        for index, (rowid, record_id, name, version) in enumerate(answers):
            for other_rowid, other_id, other_name, other_version in answers[index + 1 :]:
                if name != other_name or version == other_version or version is None or other_version is None:
                    continue
                if max(rowid, other_rowid) <= new_after_rowid:
                    continue
                older, newer = (record_id, other_id) if version < other_version else (other_id, record_id)
                detail = f"{name} {min(version, other_version)} and {max(version, other_version)} answered the same conversation"
                yield PreferencePair(older, newer, "model_versions", BASE_SCORE, detail)
