"""The current answers of every annotator, as one pandas table, for agreement and resolution.

One row per (task, annotator): the last version of their answer (edits replace what they
supersede), from the review app and from Label Studio alike, with the task's kind, overlap,
gold answer and round. `main` is the answer's headline field: the verdict of a correction, the
choice of a preference judgment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from annotate.errors import FlywheelError
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
    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    if filters.annotator is not None:
        if store.annotator_by_email(filters.annotator) is None:
            raise FlywheelError(f"no annotator {filters.annotator!r}; `flywheel users list` shows them")
        tasks = frame.loc[frame["email"] == filters.annotator, "task_id"].unique()
        frame = frame[frame["task_id"].isin(tasks)]
    frame = frame.reset_index(drop=True)
    frame["main"] = frame["verdict"].where(frame["kind"] == "correction", frame["choice"])
    frame["categories"] = [_categories(text) for text in frame["failure_categories"]]
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    return frame


def _categories(text: str | None) -> tuple[str, ...]:
    if not text or text == "[]":
        return ()
    return tuple(json.loads(text))


def gold_main(gold_answer: str | None) -> str | None:
    """The headline field of a gold answer (its verdict or choice)."""
    if not isinstance(gold_answer, str) or not gold_answer:
        return None
    answer = json.loads(gold_answer)
    return answer.get("verdict") or answer.get("choice")
