"""Resolution: how the answers to a task with overlap become one decision (`[resolution]` rules).

For each task, in this order:
1. a lead's adjudication, when there is one, is the decision (method `adjudication`);
2. a gold item's decision is its known answer (`gold`);
3. a task still missing answers is `pending`;
4. one answer is the decision (`single`);
5. every annotator gave the same verdict or choice: `unanimous` (when `auto_unanimous`);
6. with `method = "majority"` (the default), a strict majority among at least
   `majority_min_annotators` answers: `majority`; with `method = "weighted"`, the value a
   Dawid-Skene estimate (`annotate.consensus.dawid_skene`, fitted per task kind on every answer
   in the table, gold items held at their known answer) gives at least `min_posterior`, among
   two or more answers: `weighted`, its probability in `posterior`;
7. anything else needs the lead (`needs_adjudication`), with the reason: a split, a weighted
   estimate not sure enough (ties always are). So does a task whose deciding side corrected the
   response in texts less similar than `correction_similarity_below` (mean pairwise, character
   level): they agree it is wrong, not on what is right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from annotate.config import ProjectConfig, Resolution
from annotate.consensus.answer_table import AnswerFilter, answer_frame, corrected_text_similarity, gold_main
from annotate.consensus.dawid_skene import dawid_skene
from annotate.records import CHOICES, VERDICTS
from annotate.store import Store
from annotate.store.rows import Adjudication

RESOLVED = "resolved"
PENDING = "pending"
NEEDS_ADJUDICATION = "needs_adjudication"
COLUMNS = ["task_id", "kind", "n_answers", "required", "status", "method", "value", "reason", "similarity", "posterior"]
METHODS = ("adjudication", "gold", "single", "unanimous", "majority", "weighted")  # how a resolved task was decided


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
    and why it needs a lead when it does; `posterior` is the weighted estimate's probability of
    the decided value (NaN under majority, and for gold items and adjudications). `similarities`
    (from `corrected_text_similarity`) is computed when not given."""
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
        "reason": _texts(len(task_ids), ""), "similarity": np.nan, "posterior": np.nan,
    }).set_index("task_id")  # fmt: skip

    single = tasks["n_answers"] == 1
    unanimous = (tasks["distinct"] == 1) & ~single
    tasks.loc[single, ["status", "method"]] = [RESOLVED, "single"]
    if rules.auto_unanimous:
        tasks.loc[unanimous, ["status", "method"]] = [RESOLVED, "unanimous"]
    else:
        tasks.loc[unanimous, "reason"] = "unanimous, but the project sends every overlapping task to a lead"
    split = ((tasks["status"] == NEEDS_ADJUDICATION) & ~unanimous).to_numpy().copy()
    if rules.method == "weighted":
        _decide_weighted(frame, inverse, tasks, votes, labels, split, rules)
    else:
        majority = split & (n_answers >= rules.majority_min_annotators) & (top_votes * 2 > n_answers)
        tasks.loc[majority, ["status", "method"]] = [RESOLVED, "majority"]
        split = split & ~majority
        tasks.loc[split, "reason"] = _split_reasons(votes[split], labels, n_answers[split], rules)
    _check_corrected_texts(frame, tasks, rules, similarities)

    pending = tasks["n_answers"] < tasks["required"]
    tasks.loc[pending & (tasks["task_status"] == "open"), ["status", "method", "reason"]] = [PENDING, None, ""]
    gold = tasks["is_gold"] == 1
    tasks.loc[gold, ["status", "method", "reason"]] = [RESOLVED, "gold", ""]
    tasks.loc[gold, "value"] = [gold_main(answer) for answer in tasks.loc[gold, "gold_answer"]]
    decided = [task_id for task_id in tasks.index if task_id in adjudications] if adjudications else []
    tasks.loc[gold, "posterior"] = np.nan
    if decided:
        tasks.loc[decided, ["status", "method", "reason", "posterior"]] = [RESOLVED, "adjudication", "", np.nan]
        tasks.loc[decided, "value"] = [adjudications[task_id].verdict or adjudications[task_id].choice for task_id in decided]
    return tasks.reset_index()[COLUMNS].set_index("task_id")


def _decide_weighted(frame: pd.DataFrame, task_rows: np.ndarray, tasks: pd.DataFrame, votes: np.ndarray, labels: np.ndarray,
                     split: np.ndarray, rules: Resolution) -> None:  # fmt: skip
    """Fill `posterior` for every task, and decide the `split` ones the estimate is sure of (see
    the module docstring); the others get the estimate's reason. Votes stay counts of answers."""
    posterior = _weighted_posterior(frame, task_rows, tasks, labels, rules)
    best = posterior.argmax(axis=1)
    chance = posterior[np.arange(len(best)), best]
    tasks["posterior"] = chance
    sure = split & (chance >= rules.min_posterior)
    tasks.loc[sure, ["status", "method"]] = [RESOLVED, "weighted"]
    tasks.loc[sure, "value"] = labels[best[sure]]
    tasks.loc[sure, "votes"] = votes[sure, best[sure]]
    unsure = split & ~sure
    tasks.loc[unsure, "reason"] = [_unsure_reason(row, labels, rules) for row in posterior[unsure]]


def _weighted_posterior(frame: pd.DataFrame, task_rows: np.ndarray, tasks: pd.DataFrame, labels: np.ndarray,
                       rules: Resolution) -> np.ndarray:  # fmt: skip
    """Tasks x values (alphabetical, as `labels`): the Dawid-Skene posterior of each task's true
    answer, fitted per task kind over that kind's values (0 for the other kind's)."""
    posterior = np.zeros((len(tasks), len(labels)))
    code_of = {label: code for code, label in enumerate(labels)}
    main = frame["main"].cat
    answers = np.array([code_of[value] for value in main.categories] + [-1])[main.codes.to_numpy()]
    gold = np.array([code_of.get(gold_main(text), -1) if flag == 1 else -1
                     for flag, text in zip(tasks["is_gold"], tasks["gold_answer"])])  # fmt: skip
    people = np.unique(frame["annotator_id"].to_numpy(), return_inverse=True)[1].ravel()
    kinds = frame["kind"].to_numpy()
    for kind, values in (("correction", VERDICTS), ("preference", CHOICES)):
        columns = np.array(sorted(code_of[value] for value in values if value in code_of))
        rows = (kinds == kind) & np.isin(answers, columns)
        if not rows.any():
            continue
        own_tasks, local_tasks = np.unique(task_rows[rows], return_inverse=True)
        local_people = np.unique(people[rows], return_inverse=True)[1].ravel()
        local_gold = np.where(np.isin(gold[own_tasks], columns), np.searchsorted(columns, gold[own_tasks]), -1)
        estimate = dawid_skene(local_tasks.ravel(), local_people, np.searchsorted(columns, answers[rows]), local_gold,
                               len(columns), prior_answers=rules.prior_answers)  # fmt: skip
        posterior[np.ix_(own_tasks, columns)] = estimate.posterior
    return posterior


def _unsure_reason(row: np.ndarray, labels: np.ndarray, rules: Resolution) -> str:
    shown = ", ".join(f"{labels[value]} {row[value]:.2f}" for value in np.argsort(-row, kind="stable") if row[value] >= 0.005)
    return f"the weighted estimate is not sure ({shown}); it decides from {rules.min_posterior:.2f}"


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
