"""Agreement between annotators, per field and per annotator, over tasks with overlap.

`agreement_report(store, config, filters)` covers the current answers of every task two or more
annotators answered, from the review app and from Label Studio alike:

| field | units | measure |
| --- | --- | --- |
| `verdict` | correction tasks | Krippendorff's alpha, nominal (acceptable / corrected / unusable) |
| `failure_category` | (task, category) pairs | alpha, nominal on chosen / not chosen, every taxonomy category |
| `severity` | tasks with two or more severities given | alpha, ordinal (the taxonomy's scale) |
| `preference` | preference tasks | alpha, nominal (a / b / tie / both bad) |
| `correction` | correction tasks two or more annotators corrected | mean pairwise similarity of the corrected texts (in `alpha`, with `measure` saying so); `edit_alpha` and `observed_agreement` are about whether the response needed editing |

Each field carries its bootstrap interval and the numbers of items and annotators it rests on;
`kappa` holds Cohen's kappa per annotator pair (null where they share too few items, with the
shared counts in `kappa_items`). Per annotator: answers, gold accuracy (verdict or choice equal
to the gold answer's), agreement with the resolved decision (tasks others answered too),
throughput (answers per active day), median seconds per task, and a weekly trend.
The JSON shape is a contract: `schemas/agreement-report.schema.json`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from annotate.config import ProjectConfig
from annotate.consensus.answer_table import (
    AnswerFilter,
    answer_frame,
    category_lists,
    corrected_text_similarity,
    gold_mains,
)
from annotate.consensus.reliability import MISSING, alpha_with_ci, kappa_matrix
from annotate.consensus.resolution import RESOLVED, resolve, resolve_answers
from annotate.records import CHOICES, VERDICTS
from annotate.store import Store

CODE = np.int16  # value codes in the units x annotators matrices (a taxonomy has far fewer values)
FIELDS = ("verdict", "failure_category", "severity", "preference", "correction")


class FieldAgreement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alpha: float | None = Field(description="Krippendorff's alpha; for `correction`, the mean corrected-text similarity.")
    alpha_ci: tuple[float, float] | None = Field(description="Bootstrap interval of `alpha` at the configured level.")
    observed_agreement: float | None = Field(description="Share of answer pairs that agree.")
    n_items: int
    n_annotators: int
    measure: str = Field(description="What `alpha` holds: krippendorff_alpha_nominal, _ordinal, or text_similarity.")
    edit_alpha: float | None = Field(default=None, description="`correction` only: alpha on whether the response needed editing.")


class AnnotatorAgreement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    n_annotations: int
    gold_accuracy: float | None
    n_gold: int
    agreement_with_resolved: float | None
    n_resolved: int
    median_seconds: float | None
    per_active_day: float | None = Field(description="Throughput: answers per day with at least one answer.")
    weekly: list[dict[str, Any]] = Field(description="Per ISO week: n, gold_accuracy, agreement_with_resolved.")


class AgreementReport(BaseModel):
    """`flywheel agreement --json`."""

    model_config = ConfigDict(extra="forbid", title="AgreementReport")

    fields: dict[str, FieldAgreement]
    kappa: dict[str, dict[str, dict[str, float | None]]]
    kappa_items: dict[str, dict[str, dict[str, int]]] = Field(description="Items each pair of annotators shares.")
    annotators: list[AnnotatorAgreement]
    n_tasks: int = Field(description="Tasks with two or more answers (what the fields rest on).")


def agreement_report(store: Store, config: ProjectConfig, filters: AnswerFilter = AnswerFilter()) -> AgreementReport:
    found = resolve_answers(store, config, filters)
    return report_from_frame(found.frame, found.resolution, config, found.similarities)


def report_from_frame(frame: pd.DataFrame, resolution: pd.DataFrame, config: ProjectConfig,
                      similarities: pd.Series | None = None) -> AgreementReport:  # fmt: skip
    """The report from an answer table and its resolution (`agreement_report` without the loading)."""
    if similarities is None:
        similarities = corrected_text_similarity(frame)
    overlap = frame[frame.groupby("task_id")["task_id"].transform("size") >= 2]
    emails = sorted(overlap["email"].unique())
    settings = config.agreement
    fields: dict[str, FieldAgreement] = {}
    kappas: dict[str, Any] = {}
    items: dict[str, Any] = {}
    for name, (codes, n_values, level) in _coded_fields(overlap, emails, config).items():
        stats = alpha_with_ci(codes, n_values, level, samples=settings.bootstrap_samples, confidence=settings.confidence)
        fields[name] = FieldAgreement(alpha=stats.alpha, alpha_ci=stats.ci, observed_agreement=stats.observed_agreement,
                                      n_items=stats.n_items, n_annotators=stats.n_annotators,
                                      measure=f"krippendorff_alpha_{level}")  # fmt: skip
        kappas[name], items[name] = kappa_matrix(codes, emails, min_shared=settings.min_shared_items)
    fields["correction"] = _correction_field(overlap, similarities, fields.pop("correction_edit"), settings)
    return AgreementReport(
        fields={name: fields[name] for name in FIELDS}, kappa=kappas, kappa_items=items,
        annotators=_annotator_rows(frame, resolution), n_tasks=int(overlap["task_id"].nunique()),
    )  # fmt: skip


def _coded_fields(overlap: pd.DataFrame, emails: list[str], config: ProjectConfig) -> dict[str, tuple[np.ndarray, int, str]]:
    """Each field as a units x annotators matrix of codes (MISSING where no answer)."""
    correction = (overlap["kind"] == "correction").to_numpy()
    positions = _positions(overlap, emails)
    severity = _severity_codes(overlap["severity"], config.taxonomy.severity)
    categories = [category.id for category in config.taxonomy.failure_categories]
    verdict, choice = overlap["verdict_code"].to_numpy(), overlap["choice_code"].to_numpy()
    return {
        "verdict": (_matrix(positions, np.where(correction, verdict, MISSING), correction), len(VERDICTS), "nominal"),
        "failure_category": (_category_matrix(overlap, positions, categories), 2, "nominal"),
        "severity": (_matrix(positions, severity), len(config.taxonomy.severity), "ordinal"),
        "preference": (_matrix(positions, np.where(~correction, choice, MISSING), ~correction), len(CHOICES), "nominal"),
        "correction_edit": (_matrix(positions, np.where(verdict >= 0, (verdict == 1).astype(np.int64), MISSING), correction),
                            2, "nominal"),
    }  # fmt: skip


def _severity_codes(severity: pd.Series, levels: list[str]) -> np.ndarray:
    """Each answer's severity as its rank in the taxonomy's scale (MISSING for none or unknown)."""
    ranks = {level: rank for rank, level in enumerate(levels)}
    lookup = np.array([ranks.get(level, MISSING) for level in severity.cat.categories] + [MISSING], dtype=np.int64)
    return lookup[severity.cat.codes.to_numpy()]  # code -1 (none) takes the trailing MISSING


def _positions(rows: pd.DataFrame, emails: list[str]) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Each answer's (task row, annotator column) in a tasks x annotators matrix, and its shape."""
    task_rows, n_tasks = _dense_ranks(rows["task_id"].to_numpy())
    email = rows["email"].cat
    columns = np.append(pd.Index(emails).get_indexer(email.categories), -1)[email.codes.to_numpy()]
    return task_rows, columns, n_tasks, len(emails)


def _dense_ranks(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Each value's rank among the distinct values (0, 1, ...) and how many there are. The answer
    table comes ordered by task, so this is one pass; other orders take a sort."""
    if len(values) == 0:
        return values.astype(np.int64), 0
    steps = values[1:] != values[:-1]
    if (values[1:] >= values[:-1]).all():
        ranks = np.concatenate([[0], np.cumsum(steps)])
        return ranks, int(ranks[-1]) + 1
    distinct, ranks = np.unique(values, return_inverse=True)
    return ranks.ravel(), len(distinct)


def _matrix(positions: tuple[np.ndarray, np.ndarray, int, int], codes: np.ndarray,
            units: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Tasks x annotators codes from one code per answer (MISSING codes count as no answer). With
    `units` (a mask over answers), only the tasks of those answers are rows."""
    task_rows, columns, n_tasks, n_emails = positions
    if units is not None:
        task_rows, n_tasks = _dense_ranks(task_rows[units])
        columns, codes = columns[units], codes[units]
    matrix = np.full((n_tasks, n_emails), MISSING, dtype=CODE)
    present = (codes != MISSING) & (columns >= 0)
    matrix[task_rows[present], columns[present]] = codes[present]
    return matrix


def _category_matrix(rows: pd.DataFrame, positions, categories: list[str]) -> np.ndarray:
    """(task, category) units x annotators: 1 chosen, 0 not chosen, MISSING where the annotator did not answer the task."""
    if rows.empty:
        return np.empty((0, positions[3]), dtype=CODE)
    lists = category_lists(rows)
    hot = np.array([[int(category in chosen) for category in categories] for chosen in lists], dtype=CODE)
    per_answer = hot.reshape(len(lists), len(categories))[rows["categories_code"].to_numpy()]  # answers x categories
    task_rows, columns, n_tasks, n_emails = positions
    matrix = np.full((len(categories), n_tasks, n_emails), MISSING, dtype=CODE)  # one block of tasks per category
    present = columns >= 0
    matrix[:, task_rows[present], columns[present]] = per_answer[present].T
    return matrix.reshape(len(categories) * n_tasks, n_emails)


def _correction_field(overlap: pd.DataFrame, similarities: pd.Series, edit: FieldAgreement, settings) -> FieldAgreement:
    """Mean corrected-text similarity over tasks two or more annotators corrected, with a bootstrap
    interval over those tasks; whether editing was needed comes from `edit` (alpha on verdict = corrected)."""
    tasks = overlap["task_id"].unique()
    scores = similarities.reindex(tasks).dropna().to_numpy()
    corrected = overlap[(overlap["kind"] == "correction") & (overlap["verdict"] == "corrected") & overlap["task_id"].isin(similarities.index)]
    annotators = corrected["email"].nunique()
    interval = _mean_interval(scores, settings) if len(scores) >= 2 and settings.bootstrap_samples else None
    return FieldAgreement(
        alpha=float(scores.mean()) if len(scores) else None, alpha_ci=interval,
        observed_agreement=edit.observed_agreement, n_items=len(scores), n_annotators=int(annotators),
        measure="text_similarity", edit_alpha=edit.alpha,
    )  # fmt: skip


def _mean_interval(scores: np.ndarray, settings) -> tuple[float, float]:
    """Bootstrap percentile interval of the mean of `scores` (in [0, 1]). Resamples are drawn over
    bins of width 0.001, each standing for the mean of its scores, so a replicate costs the number
    of bins, not of scores; a resampled mean moves by at most half a bin width."""
    bins = np.round(scores * 1000).astype(np.int64)
    totals = np.bincount(bins, weights=scores, minlength=1001)
    counts = np.bincount(bins, minlength=1001)
    present = counts > 0
    centres, counts = totals[present] / counts[present], counts[present]
    rng = np.random.default_rng(0)
    weights = rng.multinomial(len(scores), counts / counts.sum(), size=settings.bootstrap_samples)
    means = weights @ centres / len(scores)
    tail = (1 - settings.confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def _annotator_rows(frame: pd.DataFrame, resolution: pd.DataFrame) -> list[AnnotatorAgreement]:
    if frame.empty:
        return []
    values = frame["main"].cat.categories
    main = frame["main"].cat.codes.to_numpy()
    gold = frame["is_gold"].to_numpy() == 1
    expected = values.get_indexer(gold_mains(frame)[gold])
    gold_hit = np.full(len(frame), np.nan)
    gold_hit[gold] = (main[gold] == expected) & (expected >= 0)
    decided = resolution[(resolution["status"] == RESOLVED) & ~resolution["method"].isin(["single", "gold"])]["value"]
    decided_codes = np.append(values.get_indexer(decided.to_numpy()), -1)  # position -1: not decided
    shared = decided_codes[pd.Index(decided.index).get_indexer(frame["task_id"].to_numpy())]
    resolved_hit = np.where(shared >= 0, main == shared, np.nan)
    days = frame["created_at"].dt.floor("D")
    distinct = pd.Series(days.unique())
    weeks = dict(zip(distinct, distinct.dt.strftime("%G-W%V")))  # a few dozen days, not every answer
    scored = pd.DataFrame({"email": frame["email"], "week": days.map(weeks), "day": days, "gold_hit": gold_hit,
                           "resolved_hit": resolved_hit, "seconds": frame["seconds_spent"]})  # fmt: skip
    per_person = scored.groupby("email", observed=True).agg(
        n=("day", "size"), gold=("gold_hit", "mean"), n_gold=("gold_hit", "count"), resolved=("resolved_hit", "mean"),
        n_resolved=("resolved_hit", "count"), seconds=("seconds", "median"), days=("day", "nunique"),
    )  # fmt: skip
    per_week = scored.groupby(["email", "week"], observed=True, sort=True).agg(
        n=("day", "size"), gold=("gold_hit", "mean"), resolved=("resolved_hit", "mean")
    )
    weekly: dict[str, list[dict[str, Any]]] = {}
    for (email, week), row in zip(per_week.index, per_week.itertuples(index=False)):
        weekly.setdefault(email, []).append(
            {"week": week, "n": int(row.n), "gold_accuracy": _number(row.gold), "agreement_with_resolved": _number(row.resolved)}
        )
    return [
        AnnotatorAgreement(
            email=email, n_annotations=int(row.n), gold_accuracy=_number(row.gold), n_gold=int(row.n_gold),
            agreement_with_resolved=_number(row.resolved), n_resolved=int(row.n_resolved),
            median_seconds=_number(row.seconds), per_active_day=float(row.n / row.days), weekly=weekly.get(email, []),
        )
        for email, row in zip(per_person.index, per_person.itertuples(index=False))
    ]  # fmt: skip


def _number(value: float) -> float | None:
    return None if pd.isna(value) else float(value)


def agreement_by_week(store: Store, config: ProjectConfig, filters: AnswerFilter = AnswerFilter(), *,
                      samples: int = 200) -> pd.DataFrame:  # fmt: skip
    """Alpha per field per ISO week (a task counts in the week of its first answer), with its
    interval: columns week, field, alpha, low, high, n_items. For the lead's trend chart."""
    frame = answer_frame(store, filters)
    if frame.empty:
        return pd.DataFrame(columns=["week", "field", "alpha", "low", "high", "n_items"])
    first = frame.groupby("task_id")["created_at"].transform("min")
    frame = frame.assign(week=first.dt.strftime("%G-W%V"))
    settings = config.agreement.model_copy(update={"bootstrap_samples": samples})
    weekly_config = config.model_copy(update={"agreement": settings})
    rows = []
    for week, part in frame.groupby("week"):
        report = report_from_frame(part, resolve(part, config.resolution, {}), weekly_config)
        for name, field in report.fields.items():
            low, high = field.alpha_ci if field.alpha_ci else (None, None)
            rows.append({"week": week, "field": name, "alpha": field.alpha, "low": low, "high": high, "n_items": field.n_items})
    return pd.DataFrame(rows)
