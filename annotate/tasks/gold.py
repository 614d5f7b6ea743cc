"""Gold items: records with a known right answer, mixed into experts' queues to score annotators.

`import_gold(store, path, taxonomy)` reads JSONL, one gold item a line, naming an ingested
record either by Flywheel id (`record_id`) or by the log's `source` and external `id`, with the
known `answer` (a CorrectionAnswer or PreferenceAnswer; a preference item also names its second
record, `record_b_id` or `id_b`). Bad lines are reported with line, field and reason and the
rest kept (a line that is not clean text and numbers, `annotate.text.clean`, is one such line);
importing the same file twice changes nothing. Selection then mixes gold tasks in at
`overlap.gold_rate`, looking like any other task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from annotate.config import Taxonomy
from annotate.errors import FlywheelError, IngestError, ReviewError
from annotate.ingest.readers import JsonlReader
from annotate.ingest.rows import record_id
from annotate.records import Reject
from annotate.review.claims import validate_answer
from annotate.store import Store
from annotate.text.clean import LineProblem, identifier_problem, load_json


@dataclass
class GoldImport:
    read: int = 0
    imported: int = 0
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)


def import_gold(store: Store, path: Path, taxonomy: Taxonomy) -> GoldImport:
    result = GoldImport()
    rows = []
    try:
        for row in JsonlReader(Path(path)):
            if row.problem is None and not row.text:
                continue
            result.read += 1
            item = row.problem or load_json(row.text)
            try:
                if isinstance(item, LineProblem):
                    raise _BadItem(item.field, item.reason)
                rows.append(_gold_row(store, item, taxonomy))
            except _BadItem as exc:
                result.rejects.append(Reject(file=str(path), line=row.line, field=exc.field, reason=str(exc), excerpt=row.text))
    except IngestError as exc:
        raise IngestError(f"cannot read the gold file: {exc}; nothing was imported") from exc
    changed = store.upsert_gold_answers(rows)
    result.imported, result.unchanged = changed, len(rows) - changed
    return result


class _BadItem(ValueError):
    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field


def _gold_row(store: Store, item: object, taxonomy: Taxonomy) -> tuple[str, str, str | None, str, str]:
    if not isinstance(item, dict):
        raise _BadItem(None, "a line must be a JSON object")
    first = _record(store, item, "record_id", "id")
    try:
        answer = validate_answer(item.get("answer"), _kind(item), taxonomy)
    except ReviewError as exc:
        raise _BadItem("answer", str(exc)) from exc
    second = _record(store, item, "record_b_id", "id_b") if answer.kind == "preference" else None
    return first, answer.kind, second, answer.model_dump_json(), str(item.get("source", "gold file"))


def _kind(item: dict) -> str:
    answer = item.get("answer")
    kind = answer.get("kind", "correction") if isinstance(answer, dict) else None
    if kind not in ("correction", "preference"):
        raise _BadItem("answer.kind", "answer must be an object with kind correction or preference")
    return kind


def _record(store: Store, item: dict, id_field: str, external_field: str) -> str:
    for name in (id_field, external_field, "source"):
        if reason := identifier_problem(item.get(name)):
            raise _BadItem(name, reason)
    if item.get(id_field):
        found = str(item[id_field])
        field_name = id_field
    elif item.get(external_field) and item.get("source"):
        found = record_id(str(item["source"]), str(item[external_field]), "")
        field_name = external_field
    else:
        raise _BadItem(id_field, f"name the record with {id_field}, or with source and {external_field}")
    if not store.record_exists(found):
        where = f" from source {item['source']!r}" if field_name == external_field else ""
        raise _BadItem(field_name, f"no ingested record {item.get(id_field) or item.get(external_field)!r}{where}")
    return found
