"""The tasks behind an agreement figure: where annotators disagree on a field, overall or between
one pair of annotators, so a lead can go from a low alpha or kappa to the items that made it.

`disagreeing_tasks(store, config, filters, field, pair=None)` returns task ids, most answers first:
- a field (`annotate.consensus.agreement.FIELDS`): tasks with two or more answers whose values
  of the field differ (for `correction`, corrected texts less similar than
  `[resolution] correction_similarity_below`);
- with `pair=(a, b)`: tasks both answered where their two values differ.
"""

from __future__ import annotations

import pandas as pd

from annotate.config import ProjectConfig
from annotate.consensus.answer_table import AnswerFilter, answer_frame, corrected_text_similarity
from annotate.errors import FlywheelError

_VALUE_COLUMNS = {"verdict": "verdict", "preference": "choice", "severity": "severity", "failure_category": "failure_categories"}


def disagreeing_tasks(store, config: ProjectConfig, filters: AnswerFilter, field: str,
                      pair: tuple[str, str] | None = None) -> list[int]:  # fmt: skip
    frame = answer_frame(store, filters)
    if pair is not None:
        frame = frame[frame["email"].isin(pair)]
    frame = frame[frame.groupby("task_id")["task_id"].transform("size") >= 2]
    if frame.empty:
        return []
    if field == "correction":
        corrected = frame[(frame["kind"] == "correction") & (frame["verdict"] == "corrected")]
        scores = corrected_text_similarity(corrected)
        low = scores[scores < config.resolution.correction_similarity_below]
        return sorted(int(task_id) for task_id in low.index)
    if field not in _VALUE_COLUMNS:
        raise FlywheelError(f"unknown agreement field {field!r}: {', '.join([*_VALUE_COLUMNS, 'correction'])}")
    values = frame[["task_id", _VALUE_COLUMNS[field]]].astype({_VALUE_COLUMNS[field]: object}).dropna()  # no value: no vote
    distinct = values.groupby("task_id")[_VALUE_COLUMNS[field]].agg(lambda column: len(set(column)))
    answered = values.groupby("task_id").size()
    split = distinct[(distinct > 1) & (answered >= 2)]
    order = pd.DataFrame({"answers": answered.reindex(split.index)}).sort_values("answers", ascending=False, kind="stable")
    return [int(task_id) for task_id in order.index]
