"""The current answers of every annotator, as one pandas table, for agreement and resolution.

One row per (task, annotator): the last version of their answer (edits replace what they
supersede), from the review app and from Label Studio alike, with the task's kind, overlap,
gold answer and round. `main` is the answer's headline field: the verdict of a correction, the
choice of a preference judgment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from annotate.errors import FlywheelError
from annotate.reliability import text_similarity
from annotate.store import Store


@dataclass(frozen=True)
class AnswerFilter:
    round: str | None = None  # a round name
    kind: str | None = None  # correction or preference
    since: str | None = None  # ISO date: answers first submitted on or after it
    until: str | None = None  # ISO date: answers first submitted before it
    annotator: str | None = None  # an email: only the tasks this annotator answered


def answer_frame(store: Store, filters: AnswerFilter = AnswerFilter()) -> pd.DataFrame:
    """The table (see the module docstring), filtered."""
    if filters.kind not in (None, "correction", "preference"):
        raise FlywheelError(f"unknown task kind {filters.kind!r}: correction or preference")
    round_id = None
    if filters.round is not None:
        found = store.round_named(filters.round)
        if found is None:
            raise FlywheelError(f"no round named {filters.round!r}; `flywheel round list` shows them")
        round_id = found["id"]
    columns, rows = store.current_answers(round_id=round_id, kind=filters.kind, since=filters.since, until=filters.until)
    frame = _frame(columns, rows)
    task_columns, task_rows = store.answered_tasks(round_id=round_id, kind=filters.kind)
    tasks = _frame(task_columns, task_rows).set_index("task_id")
    position = tasks.index.get_indexer(frame["task_id"])
    for name in task_columns[1:]:
        frame[name] = tasks[name].take(position).reset_index(drop=True) if len(frame) else tasks[name].iloc[:0]
    emails = {person["id"]: person["email"] for person in store.list_annotators()}
    frame["email"] = pd.Categorical(frame["annotator_id"].map(emails)) if len(frame) else pd.Series([], dtype=object)
    if filters.annotator is not None:
        if store.annotator_by_email(filters.annotator) is None:
            raise FlywheelError(f"no annotator {filters.annotator!r}; `flywheel users list` shows them")
        tasks = frame.loc[frame["email"] == filters.annotator, "task_id"].unique()
        frame = frame[frame["task_id"].isin(tasks)]
    frame = frame.reset_index(drop=True)
    frame["main"] = pd.Categorical(np.where(frame["kind"] == "correction", frame["verdict"].astype(object), frame["choice"].astype(object)))
    parsed = {text: _categories(text) for text in set(frame["failure_categories"])}  # few distinct lists
    frame["categories"] = frame["failure_categories"].map(parsed)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    return frame


CATEGORICAL = ("email", "kind", "task_status", "verdict", "choice", "severity", "source")  # few values: fast to compare
NUMERIC = ("annotation_id", "task_id", "annotator_id", "required_annotations", "is_gold", "round_id", "seconds_spent")


def _frame(columns: tuple[str, ...], rows: list[tuple]) -> pd.DataFrame:
    """Rows as a frame of plain Python objects (numbers as numbers): pandas' Arrow-backed strings
    cost more than they save when the code then walks the values."""
    values = list(zip(*rows)) if rows else [()] * len(columns)
    data = {}
    for name, column in zip(columns, values):
        if name in NUMERIC and column:
            data[name] = pd.to_numeric(np.array(column, dtype=object))
        elif name in CATEGORICAL:
            codes, values = pd.factorize(np.array(column, dtype=object))
            data[name] = pd.Categorical.from_codes(codes, categories=pd.Index(values, dtype=object))
        else:
            data[name] = pd.Series(column, dtype=object)
    return pd.DataFrame(data, columns=list(columns))


def _categories(text: str | None) -> tuple[str, ...]:
    if not text or text == "[]":
        return ()
    return tuple(json.loads(text))


def corrected_text_similarity(frame: pd.DataFrame) -> pd.Series:
    """Per task with two or more 'corrected' answers: the mean pairwise similarity of the corrected
    texts (see `annotate.reliability.text_similarity`), indexed by task id."""
    corrected = frame[(frame["kind"] == "correction") & (frame["verdict"] == "corrected")]
    texts: dict[int, list[str]] = {}
    for task_id, text in zip(corrected["task_id"].tolist(), corrected["corrected_response"].tolist()):
        texts.setdefault(task_id, []).append(text or "")
    scores = {task_id: text_similarity(group) for task_id, group in texts.items() if len(group) >= 2}
    return pd.Series(scores, dtype=float, name="similarity")


def gold_main(gold_answer: str | None) -> str | None:
    """The headline field of a gold answer (its verdict or choice)."""
    if not isinstance(gold_answer, str) or not gold_answer:
        return None
    answer = json.loads(gold_answer)
    return answer.get("verdict") or answer.get("choice")
