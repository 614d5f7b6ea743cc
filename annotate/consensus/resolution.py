"""Resolution: how the answers to a task with overlap become one decision (`[resolution]` rules).

For each task, in this order:
1. a lead's adjudication, when there is one, is the decision (method `adjudication`);
2. a gold item's decision is its known answer (`gold`);
3. a task still missing answers is `pending`;
4. one answer is the decision (`single`);
5. every annotator gave the same verdict or choice: `unanimous` (when `auto_unanimous`);
6. a strict majority among at least `majority_min_annotators` answers: `majority`;
7. anything else needs the lead (`needs_adjudication`), with the reason. So does a task whose
   deciding side corrected the response in texts less similar than `correction_similarity_below`
   (mean pairwise, character level): they agree it is wrong, not on what is right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from annotate.config import ProjectConfig, Resolution
from annotate.consensus.answer_table import AnswerFilter, answer_frame, corrected_text_similarity, gold_main
from annotate.store import Store
from annotate.store.rows import Adjudication

RESOLVED = "resolved"
PENDING = "pending"
NEEDS_ADJUDICATION = "needs_adjudication"
COLUMNS = ["task_id", "kind", "n_answers", "required", "status", "method", "value", "reason", "similarity"]


@dataclass(frozen=True)
class ResolvedAnswers:
    """The current answers (`answer_frame`), their corrected texts' similarity and their resolution."""

    frame: pd.DataFrame
    similarities: pd.Series
    resolution: pd.DataFrame


def resolve_answers(store: Store, config: ProjectConfig, filters: AnswerFilter = AnswerFilter()) -> ResolvedAnswers:
    """Read the answers under `filters` once and resolve them with the lead's standing decisions."""
    frame = answer_frame(store, filters)
    similarities = corrected_text_similarity(frame)
    return ResolvedAnswers(frame, similarities, resolve(frame, config.resolution, store.latest_adjudications(), similarities))


def resolve(frame: pd.DataFrame, rules: Resolution, adjudications: dict[int, Adjudication],
            similarities: pd.Series | None = None) -> pd.DataFrame:  # fmt: skip
    """One row per task of the answer table: its status, the method and value that decided it,
    and why it needs a lead when it does. `similarities` (from `corrected_text_similarity`) is
    computed when not given."""
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS).set_index("task_id")
    task_ids, first, inverse, n_answers = np.unique(
        frame["task_id"].to_numpy(), return_index=True, return_inverse=True, return_counts=True
    )
    votes = _vote_matrix(frame["main"], inverse, len(task_ids))  # tasks x values, values in alphabetical order
    labels = np.array(sorted(frame["main"].cat.categories), dtype=object)
    top = votes.argmax(axis=1)  # the most votes; a tie goes to the alphabetically first value
    top_votes = votes.max(axis=1)
    distinct = (votes > 0).sum(axis=1)
    tasks = pd.DataFrame({
        "task_id": task_ids, "kind": frame["kind"].to_numpy()[first], "n_answers": n_answers,
        "required": frame["required_annotations"].to_numpy()[first], "is_gold": frame["is_gold"].to_numpy()[first],
        "gold_answer": frame["gold_answer"].to_numpy()[first], "task_status": frame["task_status"].to_numpy()[first],
        "value": np.where(top_votes > 0, labels[top], None), "votes": top_votes, "distinct": distinct,
        "method": _texts(len(task_ids), None), "status": _texts(len(task_ids), NEEDS_ADJUDICATION),
        "reason": _texts(len(task_ids), ""), "similarity": np.nan,
    }).set_index("task_id")  # fmt: skip

    single = tasks["n_answers"] == 1
    unanimous = (tasks["distinct"] == 1) & ~single
    majority = (tasks["distinct"] > 1) & (tasks["n_answers"] >= rules.majority_min_annotators) & (
        tasks["votes"] * 2 > tasks["n_answers"]
    )
    tasks.loc[single, ["status", "method"]] = [RESOLVED, "single"]
    if rules.auto_unanimous:
        tasks.loc[unanimous, ["status", "method"]] = [RESOLVED, "unanimous"]
    else:
        tasks.loc[unanimous, "reason"] = "unanimous, but the project sends every overlapping task to a lead"
    tasks.loc[majority, ["status", "method"]] = [RESOLVED, "majority"]
    split = ((tasks["status"] == NEEDS_ADJUDICATION) & ~unanimous).to_numpy()
    tasks.loc[split, "reason"] = _split_reasons(votes[split], labels, n_answers[split], rules)
    _check_corrected_texts(frame, tasks, rules, similarities)

    pending = tasks["n_answers"] < tasks["required"]
    tasks.loc[pending & (tasks["task_status"] == "open"), ["status", "method", "reason"]] = [PENDING, None, ""]
    gold = tasks["is_gold"] == 1
    tasks.loc[gold, ["status", "method", "reason"]] = [RESOLVED, "gold", ""]
    tasks.loc[gold, "value"] = [gold_main(answer) for answer in tasks.loc[gold, "gold_answer"]]
    decided = [task_id for task_id in tasks.index if task_id in adjudications] if adjudications else []
    if decided:
        tasks.loc[decided, ["status", "method", "reason"]] = [RESOLVED, "adjudication", ""]
        tasks.loc[decided, "value"] = [adjudications[task_id].verdict or adjudications[task_id].choice for task_id in decided]
    return tasks.reset_index()[COLUMNS].set_index("task_id")


def _texts(n: int, value: str | None) -> np.ndarray:
    """A column of plain Python strings: pandas' Arrow strings are slow to assign into row by row."""
    return np.full(n, value, dtype=object)


def _vote_matrix(main: pd.Series, task_rows: np.ndarray, n_tasks: int) -> np.ndarray:
    """Votes per task (rows) and value (columns, the main categories in alphabetical order)."""
    categories = main.cat.categories
    alphabetical = np.argsort(np.argsort(np.array(categories, dtype=object)))  # category code -> column
    codes = main.cat.codes.to_numpy()
    given = codes >= 0
    cells = task_rows[given] * len(categories) + alphabetical[codes[given]]
    return np.bincount(cells, minlength=n_tasks * len(categories)).reshape(n_tasks, len(categories))


def _split_reasons(votes: np.ndarray, labels: np.ndarray, n_answers: np.ndarray, rules: Resolution) -> list[str]:
    """Why each split task needs a lead, with its votes (most first, then alphabetically). Tasks
    split the same way share one text (a handful of patterns among thousands of tasks)."""
    texts: dict[tuple, str] = {}
    reasons = []
    for row, n in zip(map(tuple, votes.tolist()), n_answers.tolist()):
        if (row, n) not in texts:
            given = sorted((-count, value) for value, count in enumerate(row) if count)
            shown = ", ".join(f"{labels[value]} {-count}" for count, value in given)
            if n < rules.majority_min_annotators:
                texts[row, n] = f"answers split ({shown}); a majority decides only among {rules.majority_min_annotators} or more"
            else:
                texts[row, n] = f"no majority ({shown})"
        reasons.append(texts[row, n])
    return reasons


def _check_corrected_texts(frame: pd.DataFrame, tasks: pd.DataFrame, rules: Resolution, similarities: pd.Series | None) -> None:
    """Send tasks decided as 'corrected' whose corrected texts diverge to the lead."""
    decided = tasks.index[(tasks["status"] == RESOLVED) & (tasks["value"] == "corrected") & (tasks["votes"] >= 2)]
    if len(decided) == 0:
        return
    if similarities is None:
        similarities = corrected_text_similarity(frame[frame["task_id"].isin(decided)])
    scores = similarities.reindex(decided).dropna()
    tasks.loc[scores.index, "similarity"] = scores
    diverging = scores[scores < rules.correction_similarity_below]
    tasks.loc[diverging.index, ["status", "method"]] = [NEEDS_ADJUDICATION, None]
    tasks.loc[diverging.index, "reason"] = [
        f"all say 'corrected', but the corrected texts diverge (similarity {score:.2f} < {rules.correction_similarity_below:.2f})"
        for score in diverging
    ]
