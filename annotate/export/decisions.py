"""Decisions: the one answer per task that an export trusts, with the answers behind it.

Answers of annotators whose gold accuracy is below `selection.min_gold_accuracy` are left out
first (annotators without gold items are kept); the rest are resolved by the project's rules
(`annotate.consensus.resolution`). A resolved task's decision is the lead's adjudication when there is
one, else the most central answer on the winning side (for corrections, the corrected text
most similar to the others). Unusable verdicts never become decisions, and neither do human
evaluations of model versions: their prompts are the held-out eval split, so training on them
would leak the evaluation into training.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from rapidfuzz import fuzz

from annotate.config import ProjectConfig
from annotate.consensus.answer_table import AnswerFilter, answer_frame, corrected_text_similarity, gold_main
from annotate.consensus.resolution import RESOLVED, resolve
from annotate.export.spec import Selection
from annotate.store import Store
from annotate.store.rows import Adjudication, Task
from annotate.tasks.human_eval import ORIGIN as MODEL_COMPARISON

MODEL_COMPARISONS_LEFT_OUT = "human evaluations of model versions (their prompts are held out)"


@dataclass
class Decision:
    task: Task
    method: str  # annotate.consensus.resolution.METHODS: unanimous | majority | weighted | single | adjudication | gold
    answer: dict  # the deciding answer (CorrectionAnswer or PreferenceAnswer fields)
    agreement: float  # share of the task's answers that agree with the decision's verdict or choice
    annotation_ids: list[int] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)
    adjudication_id: int | None = None
    posterior: float | None = None  # the weighted estimate's probability of the decided value ([resolution] method)


def decisions(store: Store, config: ProjectConfig, selection: Selection) -> tuple[list[Decision], dict]:
    """Every resolved task's decision under `selection`, and what was left out and why (counts)."""
    frame = answer_frame(store, AnswerFilter())
    skipped: dict[str, int] = {}
    if selection.rounds:
        ids = {store.round_named(name)["id"] for name in selection.rounds if store.round_named(name)}
        frame = frame[frame["round_id"].isin(ids)]
    frame, unreliable = _reliable_only(frame, selection.min_gold_accuracy)
    skipped["answers by annotators below the gold accuracy bar"] = unreliable
    adjudications = store.latest_adjudications()
    resolution = resolve(frame, config.resolution, adjudications, corrected_text_similarity(frame))
    skipped["tasks not resolved"] = int((resolution["status"] != RESOLVED).sum())
    resolved = resolution[resolution["status"] == RESOLVED]
    tasks = store.tasks_by_id(resolved.index.tolist())
    made = []
    posteriors = resolved["posterior"].dropna().round(4).to_dict()
    for task_id, method, value, answers in _answers_by_task(frame, resolved):
        if tasks[task_id].origin == MODEL_COMPARISON:
            skipped[MODEL_COMPARISONS_LEFT_OUT] = skipped.get(MODEL_COMPARISONS_LEFT_OUT, 0) + 1
            continue
        decision = _decision(tasks[task_id], method, value, answers, adjudications.get(task_id))
        decision.posterior = posteriors.get(task_id)
        if decision.answer.get("verdict") == "unusable":
            skipped["unusable"] = skipped.get("unusable", 0) + 1
            continue
        if selection.min_agreement is not None and decision.agreement < selection.min_agreement:
            skipped["below the agreement bar"] = skipped.get("below the agreement bar", 0) + 1
            continue
        if selection.categories and not set(selection.categories) & set(decision.answer.get("failure_categories") or []):
            skipped["not in the selected categories"] = skipped.get("not in the selected categories", 0) + 1
            continue
        made.append(decision)
    answers = store.annotation_answers([d.answer["annotation_id"] for d in made if "annotation_id" in d.answer])
    for decision in made:
        if "annotation_id" in decision.answer:
            decision.answer = answers[decision.answer["annotation_id"]]
    return made, skipped


def _reliable_only(frame: pd.DataFrame, bar: float) -> tuple[pd.DataFrame, int]:
    gold = frame[frame["is_gold"] == 1]
    if gold.empty or bar <= 0:
        return frame, 0
    hits = (gold["main"].astype(object) == gold["gold_answer"].map(gold_main)).groupby(gold["email"], observed=True).mean()
    below = set(hits[hits < bar].index)
    keep = ~frame["email"].isin(below)
    return frame[keep], int((~keep).sum())


@dataclass
class _Answer:
    annotation_id: int
    email: str
    main: str | None
    verdict: str | None
    categories: tuple[str, ...]
    corrected_response: str | None


def _answers_by_task(frame: pd.DataFrame, resolved: pd.DataFrame):
    """(task id, method, value, answers) per resolved task, from one sort of the table: plain
    Python values, not a pandas group per task (100,000 of those cost a minute)."""
    rows = frame[frame["task_id"].isin(resolved.index)].sort_values(["task_id", "annotation_id"])
    columns = [rows[name].tolist() for name in ("task_id", "annotation_id", "email", "main", "verdict", "categories", "corrected_response")]
    grouped: dict[int, list[_Answer]] = {}
    for task_id, *fields in zip(*columns):
        grouped.setdefault(task_id, []).append(_Answer(*fields))
    for task_id, method, value in zip(resolved.index.tolist(), resolved["method"].tolist(), resolved["value"].tolist()):
        yield task_id, method, value, grouped.get(task_id, [])


def _decision(task: Task, method: str, value, answers: list[_Answer], adjudication: Adjudication | None) -> Decision:
    agreeing = [answer for answer in answers if answer.main == value]
    agreement = len(agreeing) / len(answers) if answers else 1.0
    common = {"task": task, "method": method, "agreement": agreement,
              "annotation_ids": sorted(answer.annotation_id for answer in answers),
              "annotators": sorted(str(answer.email) for answer in answers)}  # fmt: skip
    if adjudication is not None:
        return Decision(answer=adjudication.answer, adjudication_id=adjudication.id, **common)
    if method == "gold":
        return Decision(answer=task.gold_answer, **common)
    chosen = _central(agreeing or answers)  # its whole answer is read in bulk afterwards
    return Decision(answer={"annotation_id": chosen.annotation_id, "verdict": chosen.verdict,
                            "failure_categories": list(chosen.categories)}, **common)  # fmt: skip


def _central(answers: list[_Answer]) -> _Answer:
    """The answer whose corrected text is most similar to the others' (the first when there is no text)."""
    texts = [answer.corrected_response or "" for answer in answers]
    if len(answers) < 3 or not any(texts):
        return answers[0]
    scores = [sum(fuzz.ratio(text, other) for other in texts) for text in texts]
    return answers[max(range(len(texts)), key=lambda index: (scores[index], -index))]
