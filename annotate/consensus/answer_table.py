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

from annotate.consensus.reliability import group_text_similarity
from annotate.errors import FlywheelError
from annotate.store import Store
from annotate.store.answers import ANSWER_CODES, CHOICE_CODES, KIND_CODES, STATUS_CODES, VERDICT_CODES, AnswerScope


@dataclass(frozen=True)
class AnswerFilter:
    round: str | None = None  # a round name
    kind: str | None = None  # correction or preference
    since: str | None = None  # ISO date: answers first submitted on or after it
    until: str | None = None  # ISO date: answers first submitted before it
    annotator: str | None = None  # an email: only the tasks this annotator answered


def answer_frame(store: Store, filters: AnswerFilter = AnswerFilter()) -> pd.DataFrame:
    """The table (see the module docstring), filtered. Columns with few values are categoricals;
    `verdict_code` and `choice_code` index `VERDICT_CODES` and `CHOICE_CODES` (-1 for none), and
    `categories_code` indexes the categories of `failure_categories` (each a JSON list; see
    `category_lists`)."""
    if filters.kind not in (None, "correction", "preference"):
        raise FlywheelError(f"unknown task kind {filters.kind!r}: correction or preference")
    round_id = None
    if filters.round is not None:
        found = store.round_named(filters.round)
        if found is None:
            raise FlywheelError(f"no round named {filters.round!r}; `flywheel round list` shows them")
        round_id = found["id"]
    if filters.annotator is not None and store.annotator_by_email(filters.annotator) is None:
        raise FlywheelError(f"no annotator {filters.annotator!r}; `flywheel users list` shows them")
    scope = AnswerScope(round_id=round_id, kind=filters.kind, since=filters.since, until=filters.until)
    answers, tasks = store.current_answer_columns(scope)
    frame = _answers(answers, store)
    _add_task_columns(frame, tasks)
    if filters.annotator is not None:
        mine = frame.loc[frame["email"] == filters.annotator, "task_id"].unique()
        frame = frame[frame["task_id"].isin(mine)].reset_index(drop=True)
    return frame


def _answers(columns: dict, store: Store) -> pd.DataFrame:
    """The answer columns as a frame: codes become categoricals, times datetimes."""
    answer = columns["answer"]
    verdict = np.where(answer < len(VERDICT_CODES), answer, -1)
    choice = np.where(answer >= len(VERDICT_CODES), answer - len(VERDICT_CODES), -1)
    people = store.list_annotators()
    ids = np.array([person["id"] for person in people], dtype=np.int64)
    email_codes = pd.Index(ids).get_indexer(columns["annotator_id"]) if len(ids) else np.full(len(verdict), -1)
    category_codes, category_texts = pd.factorize(np.array(columns["failure_categories"], dtype=object))
    lists = np.empty(len(category_texts), dtype=object)
    lists[:] = [_categories(text) for text in category_texts]
    seconds = columns["seconds_ms"].astype(float) / 1000
    seconds[columns["seconds_ms"] < 0] = np.nan
    frame = pd.DataFrame({
        "annotation_id": columns["annotation_id"], "task_id": columns["task_id"], "annotator_id": columns["annotator_id"],
        "verdict": _categorical(verdict, VERDICT_CODES), "choice": _categorical(choice, CHOICE_CODES),
        "severity": _factorised(columns["severity"]),
        "failure_categories": pd.Categorical.from_codes(category_codes, categories=pd.Index(category_texts, dtype=object)),
        "seconds_spent": seconds,
        "created_at": pd.to_datetime(columns["created_ms"], unit="ms", utc=True),
        "email": _categorical(email_codes, tuple(person["email"] for person in people)),
        "corrected_response": pd.Series(columns["corrected_response"], dtype=object).replace("", None),
        "categories": lists.take(category_codes) if len(category_codes) else np.empty(0, dtype=object),
        "main": _categorical(answer, ANSWER_CODES),  # the verdict of a correction, the choice of a judgment
        "verdict_code": verdict, "choice_code": choice, "categories_code": category_codes,
    })  # fmt: skip
    return frame


def _factorised(texts: list[str]) -> pd.Categorical:
    """Texts with few distinct values as a categorical ('' for none)."""
    codes, values = pd.factorize(np.array(texts, dtype=object))
    values = pd.Index(values, dtype=object)
    if "" in values:
        empty = values.get_loc("")
        codes = np.where(codes == empty, -1, codes - (codes > empty))
        values = values.delete(empty)
    return pd.Categorical.from_codes(codes, categories=pd.Index(values, dtype=object))


def _categorical(codes: np.ndarray, values: tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(values), dtype=object))


def _add_task_columns(frame: pd.DataFrame, tasks: dict) -> None:
    """Each answer's task columns (kind, overlap, gold answer, round, status), by position."""
    position = pd.Index(tasks["task_id"]).get_indexer(frame["task_id"].to_numpy())
    frame["kind"] = _categorical(tasks["kind"].take(position), KIND_CODES)
    for name in ("required_annotations", "is_gold", "round_id"):
        frame[name] = tasks[name].take(position)
    frame["task_status"] = _categorical(tasks["task_status"].take(position), STATUS_CODES)
    gold = tasks["gold_answers"]
    answers = np.full(len(frame), None, dtype=object)
    task_ids = frame["task_id"].to_numpy()
    on_gold = np.isin(task_ids, np.fromiter(gold, dtype=np.int64, count=len(gold)))
    answers[on_gold] = [gold[task_id] for task_id in task_ids[on_gold].tolist()]
    frame["gold_answer"] = answers


def category_lists(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    """The distinct failure-category lists of the table, in `categories_code` order."""
    return [_categories(text) for text in frame["failure_categories"].cat.categories]


def _categories(text: str | None) -> tuple[str, ...]:
    if not text or text == "[]":
        return ()
    return tuple(json.loads(text))


def corrected_text_similarity(frame: pd.DataFrame) -> pd.Series:
    """Per task with two or more 'corrected' answers: the mean pairwise similarity of the corrected
    texts (`annotate.consensus.reliability.group_text_similarity`), indexed by task id."""
    corrected = frame[(frame["kind"] == "correction") & (frame["verdict"] == "corrected")]
    task_ids = corrected["task_id"].to_numpy()
    order = np.argsort(task_ids, kind="stable")
    tasks, starts, sizes = np.unique(task_ids[order], return_index=True, return_counts=True)
    texts = corrected["corrected_response"].to_numpy()[order]
    texts[pd.isna(texts)] = ""
    shared = sizes >= 2
    scores = group_text_similarity(texts, starts[shared], sizes[shared])
    return pd.Series(scores, index=pd.Index(tasks[shared]), dtype=float, name="similarity")


def gold_mains(frame: pd.DataFrame) -> pd.Series:
    """Each answer's gold headline (the gold answer's verdict or choice; None off gold items)."""
    gold = frame["is_gold"].to_numpy() == 1
    mains = np.full(len(frame), None, dtype=object)
    if gold.any():
        answers = frame["gold_answer"].to_numpy()[gold]
        parsed = {answer: gold_main(answer) for answer in set(answers)}
        mains[gold] = [parsed[answer] for answer in answers]
    return pd.Series(mains, index=frame.index, dtype=object)


def gold_main(gold_answer: str | None) -> str | None:
    """The headline field of a gold answer (its verdict or choice)."""
    if not isinstance(gold_answer, str) or not gold_answer:
        return None
    answer = json.loads(gold_answer)
    return answer.get("verdict") or answer.get("choice")
