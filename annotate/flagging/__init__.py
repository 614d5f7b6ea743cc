"""Flagging: decide which production records deserve an expert's time, and say why.

Each flagger is a small function registered by reason name. `run_flaggers` runs them over the
records each has not seen yet (a per-flagger progress mark, so re-running adds only what is
new and never duplicates a flag), writing one `flags` row per (record, reason) with a score in
[0, 1] and the detail an expert sees under "why am I looking at this". `--recheck` re-runs
them over everything (after a config change), updating scores and dropping flags that no
longer apply. Manual flags are never touched by a re-check.

Reasons (`annotate.records.FLAG_REASONS`, each flagger's `REASON`): negative_feedback,
low_confidence, format, pii, refusal, tool_call (per record); inconsistency (per paraphrase group,
which also yields preference candidates, as do two model versions answering the same
conversation); manual (`flag_manually`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from annotate.config import ProjectConfig
from annotate.errors import FlaggingError
from annotate.flagging import confidence, consistency, feedback, formats, pii, refusal, tool_calls
from annotate.flagging.base import Flag, RecordView
from annotate.flagging.confidence import flag_low_confidence
from annotate.flagging.consistency import PreferencePair, flag_inconsistency
from annotate.flagging.feedback import flag_negative_feedback
from annotate.flagging.formats import flag_format
from annotate.flagging.kept_vectors import StoreVectors
from annotate.flagging.pii import flag_pii
from annotate.flagging.prompt_groups import group_similar_prompts
from annotate.flagging.refusal import flag_refusals
from annotate.flagging.tool_calls import flag_tool_calls
from annotate.flagging.versions import model_version_pairs
from annotate.records import FLAG_REASONS, FlagReason
from annotate.store import Store
from annotate.text.refusal_reference import vectors_kept_in
from annotate.text.similarity import similarity_for

log = logging.getLogger(__name__)

RecordFlagger = Callable[[list[RecordView], ProjectConfig, Path], Iterable[Flag]]
RECORD_FLAGGERS: dict[str, RecordFlagger] = {
    feedback.REASON: lambda records, config, root: flag_negative_feedback(records, config.flagging),
    confidence.REASON: lambda records, config, root: flag_low_confidence(records, config.flagging),
    formats.REASON: lambda records, config, root: flag_format(records, config.validators, root),
    pii.REASON: lambda records, config, root: flag_pii(records, config.pii, config.flagging),
    refusal.REASON: lambda records, config, root: flag_refusals(records, config.validators, root),
    tool_calls.REASON: lambda records, config, root: flag_tool_calls(records, config.flagging),
}
GROUP_FLAGGER: FlagReason = consistency.REASON
MANUAL: FlagReason = "manual"
REASONS = FLAG_REASONS  # the record flaggers, the group flagger, then manual (a test keeps them in step)
CHUNK = 5_000

Progress = Callable[[int, int], None]


@dataclass
class FlagSummary:
    records_checked: int = 0
    flags: Counter = field(default_factory=Counter)
    preference_pairs: Counter = field(default_factory=Counter)
    seconds: float = 0.0


def run_flaggers(
    store: Store,
    config: ProjectConfig,
    project_root: Path,
    *,
    only: Iterable[str] | None = None,
    recheck: bool = False,
    progress: Progress | None = None,
) -> FlagSummary:
    """Run the chosen flaggers (default: all with a weight above zero) over unseen records."""
    reasons = _chosen(config, only)
    started = time.perf_counter()
    summary = FlagSummary()
    per_record = [reason for reason in reasons if reason in RECORD_FLAGGERS]
    if per_record:
        with vectors_kept_in(StoreVectors(store)):  # the refusal judge embeds only requests never seen
            _run_record_flaggers(store, config, project_root, per_record, recheck, summary, progress)
    if GROUP_FLAGGER in reasons:
        _run_group_flagger(store, config, recheck, summary)
    summary.seconds = time.perf_counter() - started
    return summary


def flag_manually(store: Store, record_id: str, note: str = "") -> Flag:
    """Flag one record by hand, with a note for the expert."""
    if not store.record_exists(record_id):
        raise FlaggingError(f"no record with id {record_id!r}")
    flag = Flag(record_id, MANUAL, 1.0, note.strip() or "flagged by hand")
    store.save_flags([flag.as_row()])
    return flag


def _chosen(config: ProjectConfig, only: Iterable[str] | None) -> list[str]:
    automatic = [reason for reason in REASONS if reason != MANUAL]
    if only:
        unknown = sorted(set(only) - set(automatic))
        if unknown:
            raise FlaggingError(f"unknown flagger {', '.join(unknown)}; flaggers: {', '.join(automatic)}")
        return [reason for reason in automatic if reason in set(only)]
    weights = config.flagging.weights.model_dump()
    return [reason for reason in automatic if weights[reason] > 0]


def _run_record_flaggers(store, config, root, reasons, recheck, summary, progress) -> None:
    marks = {reason: 0 if recheck else store.flagger_progress(reason) for reason in reasons}
    last = store.max_record_rowid()
    position = min(marks.values())
    while position < last:
        records = [RecordView(row) for row in store.records_for_flagging(after_rowid=position, limit=CHUNK)]
        if not records:
            break
        flags: list[tuple] = []
        for reason in reasons:
            unseen = [record for record in records if record["rowid"] > marks[reason]]
            for flag in RECORD_FLAGGERS[reason](unseen, config, root):
                flags.append(flag.as_row())
                summary.flags[reason] += 1
        position = records[-1]["rowid"]
        clear = (reasons, [record["id"] for record in records]) if recheck else None
        store.save_flags(flags, progress={reason: max(marks[reason], position) for reason in reasons}, clear=clear)
        summary.records_checked += len(records)
        if progress:
            progress(position, last)


def _run_group_flagger(store: Store, config: ProjectConfig, recheck: bool, summary: FlagSummary) -> None:
    mark = 0 if recheck else store.flagger_progress(GROUP_FLAGGER)
    last = store.max_record_rowid()
    if last <= mark:
        return
    groups, rescored = _groups_touched(store, config, mark)
    similarity = similarity_for(config.flagging)
    flags, pairs = [], []
    for item in flag_inconsistency(groups, similarity, config.flagging.inconsistent_below):
        if isinstance(item, PreferencePair):
            pairs.append(item.as_row())
        else:
            flags.append(item.as_row())
    pairs += [pair.as_row() for pair in model_version_pairs(store.conversations(), new_after_rowid=mark)]
    store.save_preference_candidates(pairs)
    # The records re-scored lose their old inconsistency flags first, in the same transaction, so a
    # re-run ends where one run over all the records ends (an answer no longer odd one out is unflagged).
    flagged = store.record_ids_flagged(GROUP_FLAGGER)
    store.save_flags(flags, progress={GROUP_FLAGGER: last}, clear=([GROUP_FLAGGER], sorted(rescored & flagged)))
    summary.flags[GROUP_FLAGGER] += len(flags)
    summary.preference_pairs.update(row[2] for row in pairs)


def _groups_touched(store: Store, config: ProjectConfig, mark: int) -> tuple[dict[str, list[RecordView]], set[str]]:
    """The groups to score, and the ids of the records they re-score: the named groups with a record
    newer than `mark`, and every found group of each round with an ungrouped record newer than `mark`.

    Groups are found within a round (one round's production logs), so the work per run is bounded
    by the size of the rounds that received new records, not by the whole store. A round's groups
    are found again over all its ungrouped records, and new ones can move old records between
    groups, so all of them are scored again (and every ungrouped record of the round re-scored):
    scoring only the groups that gained records would leave an old record's flag from a group it
    is no longer in.
    """
    groups: dict[str, list[RecordView]] = {}
    rescored: set[str] = set()
    for row in store.grouped_records(touched_after_rowid=mark):
        groups.setdefault(f"group {row['group_id']}", []).append(RecordView(row))
        rescored.add(row["id"])
    for round_id in store.rounds_with_ungrouped_records_after(mark):  # a found group holds only ungrouped records
        ungrouped = [RecordView(row) for row in store.ungrouped_records(round_id)]
        rescored.update(record["id"] for record in ungrouped)
        prompts = [record.last_user_message for record in ungrouped]
        for members in group_similar_prompts(prompts, config.flagging.same_prompt_above):
            records = [ungrouped[index] for index in members]
            groups[f"similar prompts of {_label(records[0])}"] = records
    return groups, rescored


def _label(record: RecordView) -> str:
    return record.get("external_id") or record["id"][:10]
