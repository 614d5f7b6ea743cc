"""Flags judged by experts: how often each flag reason pointed at a real problem, and how well the
confidence signals track what the experts found.

A **judged record** is a production record shown in a task whose answers are resolved
(`annotate.consensus.resolution`: a lead's adjudication, unanimity, a majority or a single
answer). Gold items and human evaluations of model versions are left out. Its outcome:
- correction task: **confirmed** when the decision is `corrected` or `unusable`, **fine** when
  it is `acceptable`;
- preference task (two production answers, e.g. an inconsistent pair): each record is
  confirmed when the experts chose the other answer or judged both bad, fine when it was
  chosen or tied with the other ("equally good");
- a record judged in several tasks: its correction decides; otherwise it is confirmed when
  most of its decided comparisons (strictly more than half) confirm it.
Records whose tasks have answers but no decision yet (pending slots, waiting for the lead)
are counted as `undecided`, never in a rate.

Per reason (`precision_table`): records flagged with it that experts judged, confirmed, fine,
precision = confirmed / judged with its Wilson 95% interval; `any flag` for records flagged at
all; `spot check` for records drawn at random from the unflagged (`flywheel select
--spot-check`), whose confirmed share is the measured failure rate of what nobody flagged.
Fewer than `MIN_EVIDENCE` judged records: "not enough evidence". The flags are those a record
carries now; selection picks the highest-priority flagged records, so a reason's precision is
that of the flagged records experts were sent, not of every record with the flag.

Calibration (`calibration`): judged records binned by a confidence signal (mean token logprob,
from the log or the newest `flywheel score`; the record's top flag score, 0 when unflagged)
against the share confirmed in each bin, with n and Wilson intervals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from annotate.consensus.resolution import RESOLVED
from annotate.records import Choice, Verdict
from annotate.stats import wilson_interval
from annotate.store import Store
from annotate.tasks.human_eval import ORIGIN as MODEL_COMPARISON

SPOT_CHECK = "spot_check"  # the origin of a task drawn at random from unflagged records
CONFIRMING_VERDICTS: tuple[Verdict, ...] = ("corrected", "unusable")
LOSING_CHOICE: dict[Choice, str] = {"a": "b", "b": "a", "tie": "", "both_bad": "ab"}  # choice -> records it confirms
MIN_EVIDENCE = 10  # judged records below which a rate is "not enough evidence"
ANY_FLAG, SPOT_CHECKED = "any flag", "spot check (unflagged)"
SCORE_EDGES = (0.0, 0.25, 0.5, 0.75, 1.0)  # top flag score bins above 0 (0: unflagged, a bin of its own)
LOGPROB_BINS = 5  # quantile bins of the mean token logprob


@dataclass(frozen=True)
class JudgedRecords:
    """Judged records' outcomes, and records still waiting for a decision."""

    confirmed: dict[str, bool]  # record id -> confirmed (True) or fine (False)
    spot_checked: set[str]  # records judged in a spot-check task
    undecided: set[str]  # records with answers but no decision yet (not in `confirmed`)


def judged_records(store: Store, resolution: pd.DataFrame) -> JudgedRecords:
    """Each record's outcome from a resolution table (`resolve`), as the module docstring says."""
    if resolution.empty:
        return JudgedRecords({}, set(), set())
    tasks = store.task_subjects([int(task_id) for task_id in resolution.index])
    corrections: dict[str, bool] = {}
    comparisons: dict[str, list[bool]] = defaultdict(list)
    spot_checked, undecided = set(), set()
    for task_id, status, value in zip(resolution.index, resolution["status"], resolution["value"]):
        task = tasks[int(task_id)]
        if task.is_gold or task.origin == MODEL_COMPARISON:
            continue
        shown = [task.record_id] if task.kind == "correction" else [task.record_id, task.record_b_id]
        if status != RESOLVED:
            undecided.update(shown)
            continue
        if task.origin == SPOT_CHECK:
            spot_checked.add(task.record_id)
        if task.kind == "correction":
            corrections[task.record_id] = value in CONFIRMING_VERDICTS
        else:
            losers = LOSING_CHOICE.get(value, "")
            comparisons[task.record_id].append("a" in losers)
            comparisons[task.record_b_id].append("b" in losers)
    confirmed = {record: 2 * sum(votes) > len(votes) for record, votes in comparisons.items()}
    confirmed.update(corrections)
    return JudgedRecords(confirmed, spot_checked, undecided - set(confirmed))


def rate_row(label: str, outcomes: list[bool], undecided: int = 0) -> dict:
    """One row of a precision or calibration table: n, confirmed, fine, the share and its interval."""
    n, confirmed = len(outcomes), int(sum(outcomes))
    interval = wilson_interval(confirmed, n)
    return {"label": label, "judged": n, "confirmed": confirmed, "fine": n - confirmed, "undecided": undecided,
            "rate": confirmed / n if n else None, "interval": list(interval) if interval else None,
            "enough_evidence": n >= MIN_EVIDENCE}  # fmt: skip


def record_flags(store: Store, record_ids: list[str]) -> dict[str, dict[str, float]]:
    """{record id: {reason: score}} of these records' current flags."""
    flags: dict[str, dict[str, float]] = defaultdict(dict)
    for row in store.flags_for(record_ids):
        flags[row["record_id"]][row["reason"]] = row["score"]
    return flags


def precision_table(store: Store, judged: JudgedRecords) -> list[dict]:
    """Rows per flag reason (most judged first), then `any flag` and `spot check (unflagged)`."""
    flags = record_flags(store, sorted(set(judged.confirmed) | judged.undecided))
    by_reason: dict[str, list[bool]] = defaultdict(list)
    waiting: dict[str, int] = defaultdict(int)
    for record, confirmed in judged.confirmed.items():
        for reason in flags.get(record, {}):
            by_reason[reason].append(confirmed)
    for record in judged.undecided:
        for reason in flags.get(record, {}):
            waiting[reason] += 1
    rows = [rate_row(reason, by_reason[reason], waiting[reason])
            for reason in sorted(set(by_reason) | set(waiting), key=lambda r: (-len(by_reason[r]), r))]  # fmt: skip
    flagged = [confirmed for record, confirmed in judged.confirmed.items() if flags.get(record)]
    rows.append(rate_row(ANY_FLAG, flagged, sum(1 for record in judged.undecided if flags.get(record))))
    rows.append(rate_row(SPOT_CHECKED, [judged.confirmed[record] for record in sorted(judged.spot_checked)]))
    return rows


def calibration(store: Store, judged: JudgedRecords) -> dict:
    """Share confirmed per bin of each confidence signal (see the module docstring)."""
    records = sorted(judged.confirmed)
    means = store.logprob_means(records)
    flags = record_flags(store, records)
    top_scores = {record: max(flags[record].values(), default=0.0) if record in flags else 0.0 for record in records}
    return {
        "logprob_mean": {"bins": _quantile_bins(means, judged.confirmed),
                         "without_signal": len(records) - len(means)},
        "flag_score": {"bins": _score_bins(top_scores, judged.confirmed), "without_signal": 0},
    }  # fmt: skip


def _quantile_bins(values: dict[str, float], confirmed: dict[str, bool]) -> list[dict]:
    """Up to `LOGPROB_BINS` bins with about equal numbers of records (lowest values first); one bin
    per value when there are no more values than bins."""
    if not values:
        return []
    numbers = np.array(list(values.values()))
    distinct = np.unique(numbers)
    if len(distinct) <= LOGPROB_BINS:
        lows, highs = distinct, distinct
    else:
        edges = np.unique(np.quantile(numbers, np.linspace(0, 1, LOGPROB_BINS + 1)))
        lows, highs = edges[:-1], edges[1:]
    which = np.clip(np.searchsorted(lows, numbers, side="right") - 1, 0, len(lows) - 1)  # [low, next low); the last closed
    outcomes = np.array([confirmed[record] for record in values])
    rows = []
    for number, (low, high) in enumerate(zip(lows, highs)):
        inside = outcomes[which == number].tolist()
        if inside:
            label = f"{low:.2f}" if low == high else f"{low:.2f} to {high:.2f}"
            rows.append({**rate_row(label, inside), "low": float(low), "high": float(high)})
    return rows


def _score_bins(scores: dict[str, float], confirmed: dict[str, bool]) -> list[dict]:
    """Unflagged (score 0), then (0, 0.25], (0.25, 0.5], (0.5, 0.75], (0.75, 1]."""
    rows = []
    unflagged = [confirmed[record] for record, score in scores.items() if score <= 0]
    if unflagged:
        rows.append({**rate_row("unflagged (0)", unflagged), "low": 0.0, "high": 0.0})
    for low, high in zip(SCORE_EDGES, SCORE_EDGES[1:]):
        inside = [confirmed[record] for record, score in scores.items() if low < score <= high]
        if inside:
            rows.append({**rate_row(f"{low:.2f} to {high:.2f}", inside), "low": low, "high": high})
    return rows


def flag_precision(store: Store, resolution: pd.DataFrame) -> dict:
    """The round report's section: the precision table and the calibration of the signals."""
    judged = judged_records(store, resolution)
    return {"precision": precision_table(store, judged), "calibration": calibration(store, judged),
            "judged_records": len(judged.confirmed), "min_evidence": MIN_EVIDENCE}  # fmt: skip


def shown_rows(rows: list[dict], first: str, undecided: bool = True) -> list[dict]:
    """Rows as the CLI and the Rounds page show them: counts (`undecided` too, if asked), and the
    confirmed share with its interval, or what keeps it from meaning much."""
    return [{first: row["label"], "judged": row["judged"], "confirmed": row["confirmed"], "fine": row["fine"],
             **({"undecided": row["undecided"]} if undecided else {}), "confirmed share [95% CI]": share_text(row)}
            for row in rows]  # fmt: skip


def share_text(row: dict) -> str:
    """'62% [45%, 77%]', with 'not enough evidence' under `MIN_EVIDENCE` judged records."""
    if not row["judged"]:
        return "no verdicts yet"
    low, high = row["interval"]
    text = f"{row['rate']:.0%} [{low:.0%}, {high:.0%}]"
    return text if row["enough_evidence"] else f"{text}, not enough evidence"
