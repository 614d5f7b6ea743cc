"""Typed rows the store hands out: tasks, annotations and adjudications, with their JSON columns
(an answer, failure categories, a gold answer, a conversation) decoded once, here.

Domain code, pages and commands read attributes (`annotation.answer["verdict"]`, `task.status`)
and never call `json.loads` on a column. Frozen: a row is what the database held when it was read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from functools import cache
from typing import Any, NamedTuple


def _decoded(text: str | None, empty: Any = None) -> Any:
    return empty if text is None else json.loads(text)


@dataclass(frozen=True, slots=True)
class Task:
    """A unit of expert work (`tasks` table)."""

    id: int
    kind: str
    record_id: str
    record_b_id: str | None
    origin: str
    priority: float
    why: str
    cluster: int | None
    required_annotations: int
    done_annotations: int
    active_claims: int
    is_gold: bool
    gold_answer: dict | None
    route: str
    external_id: str | None
    status: str
    round_id: int
    created_at: str
    ls_project: int | None = None

    @classmethod
    def from_row(cls, row: dict) -> Task:
        return cls(**{**_known(cls, row), "is_gold": bool(row["is_gold"]), "gold_answer": _decoded(row["gold_answer"])})


class TaskSubject(NamedTuple):
    """The part of a task that says what it asks about (`AgreementQueries.task_subjects`)."""

    kind: str
    origin: str
    is_gold: bool
    record_id: str
    record_b_id: str | None


@dataclass(frozen=True, slots=True)
class Annotation:
    """One expert answer (`annotations` table, append-only); `email` and `name` are the annotator's
    where the query joined them in."""

    id: int
    task_id: int
    annotator_id: int
    kind: str
    answer: dict
    verdict: str | None
    choice: str | None
    corrected_response: str | None
    failure_categories: tuple[str, ...]
    severity: str | None
    rationale: str
    seconds_spent: float | None
    source: str
    external_id: str | None
    supersedes: int | None
    created_at: str
    email: str | None = None
    name: str | None = None

    @classmethod
    def from_row(cls, row: dict) -> Annotation:
        return cls(**{
            **_known(cls, row),
            "answer": json.loads(row["answer"]),
            "failure_categories": tuple(_decoded(row["failure_categories"], [])),
        })  # fmt: skip


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """An annotator's current answer with what it answered (their *My work* list)."""

    annotation: Annotation
    task_kind: str
    messages: list[dict]
    response_a: str
    response_b: str | None
    first_submitted_at: str

    @classmethod
    def from_row(cls, row: dict) -> HistoryEntry:
        return cls(
            Annotation.from_row(row), row["task_kind"], json.loads(row["messages"]), row["response_a"],
            row["response_b"], row["first_submitted_at"],
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Adjudication:
    """A lead's decision on a task (`adjudications` table, append-only), with the lead's email."""

    id: int
    task_id: int
    lead_id: int
    kind: str
    answer: dict
    verdict: str | None
    choice: str | None
    method: str
    picked_annotation_id: int | None
    reason: str
    supersedes: int | None
    created_at: str
    lead_email: str | None = None

    @classmethod
    def from_row(cls, row: dict) -> Adjudication:
        return cls(**{**_known(cls, row), "answer": json.loads(row["answer"])})


def _known(cls: type, row: dict) -> dict:
    """The row's values for the dataclass's fields (a query may select more columns, or fewer optional ones)."""
    return {name: row[name] for name in _field_names(cls) if name in row}


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(field.name for field in fields(cls))
