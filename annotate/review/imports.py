"""Importing annotations made elsewhere: an outside vendor's spreadsheet or JSONL, or simulated
experts. One answer a line:

- **JSONL**: `{"task": 17, "annotator": "ana@vendor.com", "answer": {...}}`, the answer in the
  `CorrectionAnswer` / `PreferenceAnswer` schema (`schemas/`). Instead of `task`, a line may name
  the task by its record: `"record"` (the log's id), optionally `"source"`, and for a comparison
  `"record_b"`; the task kind is the answer's.
- **CSV** (a spreadsheet saved as CSV): columns `task` (or `record`, `source`, `record_b`),
  `annotator`, `kind`, then the answer's fields as columns: `verdict`, `corrected_response`,
  `choice`, `better_response`, `failure_categories` (separated by `;`), `severity`, `rationale`,
  `seconds_spent`. Empty cells are absent fields.

Every line is checked first (clean text and numbers, `annotate.text.clean`; the task exists, named
by a whole number; the annotator is registered, active and one who answers tasks, or is added with
`add_annotators` when the email is valid; the answer fits the task's kind, the taxonomy and, when it calls
tools, the tools the record offered (`annotate.review.tool_answers`), and the project's answer
rules (`annotate.review.answer_rules`: what each verdict needs, a correction that changes the
text, the format validators); a first
answer from this annotator finds a free slot: answers, held claims and this file's earlier lines
together never exceed the task's overlap); bad lines go to a rejects file with line, field and
reason, and every good line is written in one transaction, so an import is never half done. Re-importing changes nothing: a line whose answer equals the
annotator's current answer to the task is "already present"; a different answer supersedes it,
like an edit (nothing is overwritten). Answers are stored with source `import`.

Exit codes, as ingest's: 0 every line imported or present, 3 some rejected, 2 nothing importable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from annotate.clock import file_stamp
from annotate.errors import FlywheelError, IngestError, ReviewError
from annotate.ingest import EXIT_NOTHING_INGESTED, EXIT_OK, EXIT_SOME_REJECTED, RejectsFile
from annotate.ingest.readers import detect_format, open_reader
from annotate.records import Answer, Reject
from annotate.review.annotators import add_annotator, email_problem
from annotate.review.claims import ANSWERING_ROLES, store_external_annotation, taxonomy_of, validate_task_answer
from annotate.store import Store
from annotate.store.rows import Task
from annotate.text.clean import INT64_MAX, LineProblem, first_problem, identifier_problem, load_json

SOURCE = "import"
ANSWER_COLUMNS = ("verdict", "corrected_response", "choice", "better_response", "failure_categories", "severity",
                  "rationale", "seconds_spent")  # fmt: skip
_ANSWER = TypeAdapter(Answer)


@dataclass
class ImportSummary:
    path: str
    read: int = 0
    imported: int = 0
    updated: int = 0  # superseded the annotator's earlier, different answer
    present: int = 0
    rejected: int = 0
    annotators_added: list[str] = field(default_factory=list)
    rejects_path: str | None = None

    @property
    def exit_code(self) -> int:
        if self.rejected:
            return EXIT_SOME_REJECTED if self.imported + self.updated + self.present else EXIT_NOTHING_INGESTED
        return EXIT_OK


@dataclass(frozen=True)
class _Line:
    number: int
    task_id: int
    email: str
    answer: Any  # CorrectionAnswer | PreferenceAnswer
    external_id: str


class _Bad(Exception):
    def __init__(self, field_name: str | None, reason: str):
        super().__init__(reason)
        self.field, self.reason = field_name, reason


def import_annotations(store: Store, path: Path, *, fmt: str = "auto", add_annotators: bool = False,
                       rejects_dir: Path, rejects_path: Path | None = None) -> ImportSummary:  # fmt: skip
    """Import one file of answers (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    fmt = detect_format(path, fmt)
    if fmt not in ("jsonl", "csv"):
        raise IngestError(f"{path}: annotations come as JSONL or CSV, not {fmt}")
    summary = ImportSummary(str(path))
    stamp = file_stamp()
    rejects = RejectsFile(rejects_path or rejects_dir / f"annotations-{stamp}-{path.name}.rejects.jsonl")
    taxonomy = taxonomy_of(store)
    good: list[_Line] = []
    new_people: set[str] = set()
    slots = _Slots(store)
    try:
        for row in open_reader(path, fmt):
            if row.data is None and row.problem is None and not row.text:
                continue
            summary.read += 1
            try:
                if row.problem is not None:
                    raise _Bad(row.problem.field, row.problem.reason)
                data = _json_line(row.text) if fmt == "jsonl" else _csv_row(row.data or {})
                line = _checked(store, data, row.line, path, taxonomy, add_annotators, new_people)
                slots.take(line)
                good.append(line)
            except _Bad as bad:
                summary.rejected += 1
                excerpt = row.text or json.dumps(row.data, default=str)
                rejects.write(Reject(file=str(path), line=row.line, field=bad.field, reason=bad.reason, excerpt=excerpt))
    except IngestError as exc:  # the file stops being readable part way: nothing of it is written
        raise IngestError(f"{exc}; nothing of the file was imported") from exc
    finally:
        rejects.close()
    if summary.rejected:
        summary.rejects_path = str(rejects.path)
    _write(store, good, new_people, summary)
    return summary


def _json_line(text: str) -> dict:
    data = load_json(text)
    if isinstance(data, LineProblem):
        raise _Bad(data.field, data.reason)
    if not isinstance(data, dict):
        raise _Bad(None, "a line is one JSON object")
    return data


def _csv_row(data: dict) -> dict:
    """A spreadsheet row in the JSONL line's shape."""
    problem = first_problem(data)
    if problem is not None:
        raise _Bad(problem.field, problem.reason)
    cells = {key.strip(): (value.strip() if isinstance(value, str) else value) for key, value in data.items() if key}
    answer: dict[str, Any] = {"kind": cells.get("kind") or ("preference" if cells.get("choice") else "correction")}
    for name in ANSWER_COLUMNS:
        value = cells.get(name)
        if value in (None, ""):
            continue
        if name == "failure_categories":
            value = [part.strip() for part in str(value).split(";") if part.strip()]
        elif name == "seconds_spent":
            try:
                value = float(value)
            except ValueError as exc:
                raise _Bad("seconds_spent", f"a number of seconds, not {value!r}") from exc
        answer[name] = value
    line = {key: cells[key] for key in ("task", "record", "source", "record_b", "annotator", "id") if cells.get(key) not in (None, "")}
    return {**line, "answer": answer}


def _checked(store: Store, data: dict, number: int, path: Path, taxonomy, add_annotators: bool, new_people: set[str]) -> _Line:
    unknown = sorted(set(data) - {"task", "record", "source", "record_b", "annotator", "answer", "id"})
    if unknown:
        raise _Bad(unknown[0], "unknown field (a line has task or record/source/record_b, annotator, answer, id)")
    for name in ("record", "source", "record_b", "id"):
        if reason := identifier_problem(data.get(name)):
            raise _Bad(name, reason)
    raw = data.get("answer")
    if not isinstance(raw, dict):
        raise _Bad("answer", "an object in the CorrectionAnswer or PreferenceAnswer schema")
    if raw.get("kind") not in ("correction", "preference"):
        raise _Bad("answer.kind", "'correction' or 'preference'")
    try:
        parsed = _ANSWER.validate_python(raw)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"])
        raise _Bad(f"answer.{where}" if where else "answer", error["msg"]) from exc
    task = _task_of(store, data, parsed.kind)
    try:
        validate_task_answer(store, task, parsed, taxonomy)
    except ReviewError as exc:
        raise _Bad("answer", str(exc)) from exc
    email = data.get("annotator")
    if not isinstance(email, str) or not email.strip():
        raise _Bad("annotator", "the annotator's email")
    email = email.strip()
    person = store.annotator_by_email(email)
    if person is None and not add_annotators and email not in new_people:
        raise _Bad("annotator", f"{email} is not registered (add them with `flywheel users add`, or import with --add-annotators)")
    if person is None and (reason := email_problem(email)):
        raise _Bad("annotator", f"{reason}, so it cannot be added")
    if person is not None and not person["active"]:
        raise _Bad("annotator", f"{email} has been deactivated")
    if person is not None and person["role"] not in ANSWERING_ROLES:
        raise _Bad("annotator", f"{email} is an {person['role']}: only {', '.join(ANSWERING_ROLES)}s answer tasks")
    if person is None:
        new_people.add(email)
    external = str(data["id"]) if data.get("id") not in (None, "") else f"{path.name}:{number}"
    return _Line(number, task.id, email, parsed, external)


def _task_of(store: Store, data: dict, kind: str) -> Task:
    if data.get("task") not in (None, ""):
        task_id = _task_id(data["task"])
        task = store.task(task_id)
        if task is None:
            raise _Bad("task", f"no task with id {task_id}")
        return task
    record = data.get("record")
    if record in (None, ""):
        raise _Bad("task", "name the task: `task` (its id), or `record` (and `record_b` for a comparison)")
    found = store.tasks_showing(kind, str(record), data.get("source") or None, str(data["record_b"]) if data.get("record_b") else None)
    if not found:
        raise _Bad("record", f"no {kind} task shows record {record!r}" + (f" of source {data['source']!r}" if data.get("source") else ""))
    if len(found) > 1:
        raise _Bad("record", f"{len(found)} {kind} tasks show record {record!r}: name the source, or the task by its id")
    return store.task(found[0])


def _task_id(value: Any) -> int:
    """A task id: a whole number (a JSON integer, or a CSV cell of digits), never a fraction or a truth value."""
    number = value.strip() if isinstance(value, str) else value
    if isinstance(number, str) and number.isdecimal() and number.isascii() and len(number) <= 19:
        number = int(number)
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= INT64_MAX:
        raise _Bad("task", f"a task id (a whole number from 1), not {str(value)[:40]!r}")
    return number


class _Slots:
    """The task slots this file's lines take: a first answer from an annotator needs a free slot
    (the task's answers, the claims others hold and this file's earlier first answers, below its overlap)."""

    def __init__(self, store: Store):
        self.store = store
        self.taken: dict[int, set[str]] = {}

    def take(self, line: _Line) -> None:
        person = self.store.annotator_by_email(line.email)
        if person is not None and self.store.first_annotation(line.task_id, person["id"]) is not None:
            return  # an edit of their own answer fills no new slot
        pending = self.taken.setdefault(line.task_id, set())
        if line.email.lower() in pending:
            return
        task = self.store.task(line.task_id)
        own_claim = person is not None and self.store.active_claim(person["id"], task_id=line.task_id) is not None
        used = task.done_annotations + task.active_claims - own_claim + len(pending)
        if used >= task.required_annotations:
            held = f" and {task.active_claims - own_claim} held by experts now" if task.active_claims - own_claim else ""
            raise _Bad("task", f"task {task.id} has no free slot: it takes {task.required_annotations} answer(s), "
                               f"has {task.done_annotations}{held}" + (f" and {len(pending)} earlier in this file" if pending else ""))  # fmt: skip
        pending.add(line.email.lower())


def _write(store: Store, lines: list[_Line], new_people: set[str], summary: ImportSummary) -> None:
    """Every good line in one transaction: all of them land, or none."""
    if not lines:
        return
    with store.immediate():
        for email in sorted(new_people):
            try:
                add_annotator(store, email)
            except FlywheelError as exc:
                raise IngestError(f"{summary.path}: cannot add annotator {email}: {exc}") from exc
            summary.annotators_added.append(email)
        for line in lines:
            person = store.annotator_by_email(line.email)
            current = store.current_annotation(line.task_id, person["id"])
            if current is not None and current.answer == line.answer.model_dump(mode="json"):
                summary.present += 1
                continue
            store_external_annotation(store, line.task_id, person["id"], line.answer, source=SOURCE, external_id=line.external_id)
            if current is None:
                summary.imported += 1
            else:
                summary.updated += 1
