"""The frozen held-out set of a dataset name: every earlier version's eval prompts, kept out of
train in every later version. A prompt once used to evaluate a model is never trained on by a
later one of the same name, whatever round or seed the later export uses.

`frozen_eval(project, snapshots)` reads the eval files of the registered snapshots it is given
(`store.datasets(name)`): their record ids (from the manifests' lineage) and their prompts' user
turns (from eval.jsonl, as exported: personal data already replaced by placeholders).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from annotate.contracts.manifest import read_manifest
from annotate.errors import FlywheelError, ManifestError
from annotate.store.datasets import RegisteredSnapshot


@dataclass(frozen=True)
class FrozenEval:
    versions: tuple[int, ...] = ()  # the earlier versions read
    record_ids: frozenset[str] = frozenset()  # production records any of them held out
    prompts: tuple[str, ...] = field(default=())  # their eval prompts' user turns, joined (distinct)

    def __bool__(self) -> bool:
        return bool(self.versions)


def frozen_eval(root: Path, snapshots: list[RegisteredSnapshot]) -> FrozenEval:
    """The union of the given snapshots' eval splits (`root`: the project folder their paths are under)."""
    record_ids: set[str] = set()
    prompts: dict[str, None] = {}
    for snapshot in snapshots:
        folder = root / snapshot.path
        try:
            manifest = read_manifest(folder)
        except (ManifestError, OSError) as exc:
            raise FlywheelError(f"{snapshot.name} v{snapshot.version}: cannot read its held-out set ({exc}); "
                                "an earlier eval split must stay out of train") from exc  # fmt: skip
        record_ids.update(record for row in manifest.rows if row.split == "eval" for record in row.record_ids)
        for row in _rows(folder / "eval.jsonl"):
            text = _user_turns(row)
            if text:
                prompts.setdefault(text)
    return FrozenEval(tuple(snapshot.version for snapshot in snapshots), frozenset(record_ids), tuple(prompts))


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _user_turns(row: dict) -> str:
    """The user turns of an exported row's prompt (SFT `messages` or `prompt`; DPO and KTO `prompt`),
    joined as `Example.prompt_text` joins them."""
    messages = row.get("prompt") if isinstance(row.get("prompt"), list) else row.get("messages") or []
    return "\n".join(message.get("content") or "" for message in messages
                     if isinstance(message, dict) and message.get("role") == "user")  # fmt: skip
