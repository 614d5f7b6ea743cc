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

from annotate.answer_table import AnswerFilter, answer_frame, corrected_text_similarity, gold_main
from annotate.config import ProjectConfig
from annotate.reliability import MISSING, alpha_with_ci, kappa_matrix
from annotate.resolution import RESOLVED, resolve
from annotate.store import Store

VERDICTS = ("acceptable", "corrected", "unusable")
CHOICES = ("a", "b", "tie", "both_bad")
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
    frame = answer_frame(store, filters)
    similarities = corrected_text_similarity(frame)
    resolution = resolve(frame, config.resolution, store.latest_adjudications(), similarities)
    return report_from_frame(frame, resolution, config, similarities)


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
    corrections = overlap[overlap["kind"] == "correction"]
    preferences = overlap[overlap["kind"] == "preference"]
    severity = {level: code for code, level in enumerate(config.taxonomy.severity)}
    categories = [category.id for category in config.taxonomy.failure_categories]
    return {
        "verdict": (_matrix(corrections, emails, corrections["verdict"].map(_codes(VERDICTS))), len(VERDICTS), "nominal"),
        "failure_category": (_category_matrix(overlap, emails, categories), 2, "nominal"),
        "severity": (_matrix(overlap, emails, overlap["severity"].map(severity)), len(severity), "ordinal"),
        "preference": (_matrix(preferences, emails, preferences["choice"].map(_codes(CHOICES))), len(CHOICES), "nominal"),
        "correction_edit": (_matrix(corrections, emails, (corrections["verdict"] == "corrected").astype(float)), 2, "nominal"),
    }


def _codes(values: tuple[str, ...]) -> dict[str, int]:
    return {value: code for code, value in enumerate(values)}


def _matrix(rows: pd.DataFrame, emails: list[str], codes: pd.Series | np.ndarray) -> np.ndarray:
    """Tasks x annotators codes from one code per answer (NaN codes count as no answer)."""
    return _scatter(*_positions(rows, emails), np.asarray(codes, dtype=float))


def _positions(rows: pd.DataFrame, emails: list[str]) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Each answer's (task row, annotator column) in a tasks x annotators matrix, and its shape."""
    task_rows, tasks = pd.factorize(rows["task_id"])
    columns = pd.Index(emails).get_indexer(rows["email"])
    return task_rows, columns, len(tasks), len(emails)


def _scatter(task_rows: np.ndarray, columns: np.ndarray, n_tasks: int, n_emails: int, codes: np.ndarray) -> np.ndarray:
    matrix = np.full((n_tasks, n_emails), MISSING, dtype=np.int64)
    present = ~np.isnan(codes) & (columns >= 0)
    matrix[task_rows[present], columns[present]] = codes[present].astype(np.int64)
    return matrix


def _category_matrix(rows: pd.DataFrame, emails: list[str], categories: list[str]) -> np.ndarray:
    """(task, category) units x annotators: 1 chosen, 0 not chosen, MISSING where the annotator did not answer the task."""
    if rows.empty:
        return np.empty((0, len(emails)), dtype=np.int64)
    positions = _positions(rows, emails)
    lists, inverse = np.unique(np.array([",".join(chosen) for chosen in rows["categories"]], dtype=object), return_inverse=True)
    hot = np.array([[float(category in chosen.split(",")) for category in categories] for chosen in lists]).reshape(len(lists), len(categories))
    per_answer = hot[inverse.ravel()]  # answers x categories
    return np.concatenate([_scatter(*positions, per_answer[:, index]) for index in range(len(categories))], axis=0)


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
    scored = frame.copy()
    gold = scored["is_gold"] == 1
    scored["gold_hit"] = np.where(gold, scored["main"] == scored["gold_answer"].map(gold_main), np.nan)
    scored.loc[~gold, "gold_hit"] = np.nan
    decided = resolution[(resolution["status"] == RESOLVED) & ~resolution["method"].isin(["single", "gold"])]["value"]
    shared = scored["task_id"].map(decided)
    scored["resolved_hit"] = np.where(shared.notna(), scored["main"] == shared, np.nan)
    days = scored["created_at"].dt.floor("D")
    distinct = pd.Series(days.unique())
    weeks = dict(zip(distinct, distinct.dt.strftime("%G-W%V")))  # a few dozen days, not every answer
    scored["week"] = days.map(weeks)
    scored["day"] = days
    rows = []
    for email, mine in scored.groupby("email"):
        seconds = mine["seconds_spent"].dropna()
        weekly = [
            {"week": week, "n": int(len(part)), "gold_accuracy": _mean(part["gold_hit"]),
             "agreement_with_resolved": _mean(part["resolved_hit"])}
            for week, part in mine.groupby("week")
        ]  # fmt: skip
        rows.append(AnnotatorAgreement(
            email=email, n_annotations=int(len(mine)),
            gold_accuracy=_mean(mine["gold_hit"]), n_gold=int(mine["gold_hit"].notna().sum()),
            agreement_with_resolved=_mean(mine["resolved_hit"]), n_resolved=int(mine["resolved_hit"].notna().sum()),
            median_seconds=float(seconds.median()) if len(seconds) else None,
            per_active_day=float(len(mine) / mine["day"].nunique()), weekly=weekly,
        ))  # fmt: skip
    return rows


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.astype(float).mean()) if len(values) else None


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
