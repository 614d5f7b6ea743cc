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

import numpy as np
import pandas as pd

from annotate.answer_table import corrected_text_similarity, gold_main
from annotate.config import Resolution

RESOLVED = "resolved"
PENDING = "pending"
NEEDS_ADJUDICATION = "needs_adjudication"
COLUMNS = ["task_id", "kind", "n_answers", "required", "status", "method", "value", "reason", "similarity"]


def resolve(frame: pd.DataFrame, rules: Resolution, adjudications: dict[int, dict],
            similarities: pd.Series | None = None) -> pd.DataFrame:  # fmt: skip
    """One row per task of the answer table: its status, the method and value that decided it,
    and why it needs a lead when it does. `similarities` (from `corrected_text_similarity`) is
    computed when not given."""
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS).set_index("task_id")
    tasks = frame.groupby("task_id").agg(
        kind=("kind", "first"), n_answers=("main", "size"), required=("required_annotations", "first"),
        is_gold=("is_gold", "first"), gold_answer=("gold_answer", "first"), task_status=("task_status", "first"),
    )  # fmt: skip
    counts = frame.groupby(["task_id", "main"]).size().rename("votes").reset_index()
    counts = counts.sort_values(["task_id", "votes", "main"], ascending=[True, False, True])
    top = counts.drop_duplicates("task_id").set_index("task_id")
    spread = counts.groupby("task_id")["main"].size()
    tasks["value"] = top["main"]
    tasks["votes"] = top["votes"]
    tasks["distinct"] = spread
    tasks["method"] = None
    tasks["status"] = NEEDS_ADJUDICATION
    tasks["reason"] = ""
    tasks["similarity"] = np.nan

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
    split = tasks["status"] == NEEDS_ADJUDICATION
    split &= ~unanimous
    tasks.loc[split, "reason"] = _split_reasons(counts, tasks.loc[split, "n_answers"], rules)
    _check_corrected_texts(frame, tasks, rules, similarities)

    pending = tasks["n_answers"] < tasks["required"]
    tasks.loc[pending & (tasks["task_status"] == "open"), ["status", "method", "reason"]] = [PENDING, None, ""]
    gold = tasks["is_gold"] == 1
    tasks.loc[gold, ["status", "method", "reason"]] = [RESOLVED, "gold", ""]
    tasks.loc[gold, "value"] = [gold_main(answer) for answer in tasks.loc[gold, "gold_answer"]]
    decided = [task_id for task_id in tasks.index if task_id in adjudications]
    if decided:
        tasks.loc[decided, ["status", "method", "reason"]] = [RESOLVED, "adjudication", ""]
        tasks.loc[decided, "value"] = [adjudications[task_id]["verdict"] or adjudications[task_id]["choice"] for task_id in decided]
    return tasks.reset_index()[COLUMNS].set_index("task_id")


def _split_reasons(counts: pd.DataFrame, n_answers: pd.Series, rules: Resolution) -> list[str]:
    votes: dict[int, list[str]] = {}
    for task_id, main, count in counts[counts["task_id"].isin(n_answers.index)][["task_id", "main", "votes"]].itertuples(index=False):
        votes.setdefault(task_id, []).append(f"{main} {count}")
    reasons = []
    for task_id, n in n_answers.items():
        shown = ", ".join(votes[task_id])
        if n < rules.majority_min_annotators:
            reasons.append(f"answers split ({shown}); a majority decides only among {rules.majority_min_annotators} or more")
        else:
            reasons.append(f"no majority ({shown})")
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
