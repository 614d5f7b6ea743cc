"""The round report: what one turn of the loop found, decided, exported, trained and shipped, and
how far its production prompts drifted from the round before, so a team sees drift before its
users do.

- **Flags**: records flagged per reason, as a share of the round's production records.
- **Failure categories**: their mix over the experts' current answers to the round's tasks.
- **Agreement**: Krippendorff's alpha per field over the round's overlapping tasks.
- **Flags judged by experts**: per flag reason, how often the experts confirmed a real problem
  among the flagged records they judged, the failure rate of spot-checked unflagged records,
  and the calibration of the confidence signals (`annotate.reports.flag_precision`).
- **Exported and trained**: snapshots exported while the round was open; the evaluation reports
  (`reports/*/report.json`) of adapters trained on them, with the gate's verdicts and outcomes.
- **Drift**: the round's prompts and the previous round's, clustered together as selection
  clusters them (`annotate.text.prompt_clusters`); each cluster's share in both rounds, and the
  Jensen-Shannon distance between the two mixes (0: the same mix, 1: no cluster in common).
"""

from __future__ import annotations

import math

from annotate.consensus.agreement import report_from_frame
from annotate.consensus.answer_table import AnswerFilter
from annotate.consensus.resolution import resolve_answers
from annotate.errors import RoundError
from annotate.project import Project
from annotate.records import last_user_turn
from annotate.reports.flag_precision import flag_precision
from annotate.reports.model_versions import list_reports, outcomes
from annotate.store import Store
from annotate.text.prompt_clusters import cluster_prompts

DRIFT_SAMPLE = 5_000  # prompts per round at most
DRIFT_CLUSTERS = 8


def round_report(store: Store, project: Project, name: str | None = None) -> dict:
    """The report of the round named `name` (default: the open round, else the latest)."""
    return with_evaluations(project, round_store_report(store, project.config, name))


def with_evaluations(project: Project, report: dict) -> dict:
    """`round_store_report`'s report completed with the evaluation reports read from the project folder."""
    return {**report, "evaluations": _evaluations_of(project, report["exported"])}


def round_store_report(store: Store, config, name: str | None = None) -> dict:
    """The round report without its evaluations: all of it that comes from the store (a page caches
    it by the store's change count; the evaluations are files, read each time)."""
    rounds = store.rounds()
    if not rounds:
        raise RoundError("no rounds yet: ingest some logs first")
    chosen = next((r for r in rounds if r["name"] == name), None) if name else (store.open_round() or rounds[-1])
    if chosen is None:
        raise RoundError(f"no round named {name!r}; rounds: {', '.join(r['name'] for r in rounds)}")
    previous = next((r for r in reversed(rounds) if r["id"] < chosen["id"]), None)
    records = store.round_record_count(chosen["id"])
    flags = store.round_flag_counts(chosen["id"])
    answers = resolve_answers(store, config, AnswerFilter(round=chosen["name"]))  # read once for both below
    agreement = report_from_frame(answers.frame, answers.resolution, config, answers.similarities)
    exported = _exported_during(store, chosen)
    return {
        "round": {key: chosen[key] for key in ("id", "name", "model", "started_at", "ended_at")},
        "previous_round": previous["name"] if previous else None,
        "records": records,
        "flag_rate": {reason: {"records": count, "rate": count / records if records else None} for reason, count in flags.items()},
        "tasks": store.round_task_counts(chosen["id"]),
        "failure_categories": store.round_failure_category_counts(chosen["id"]),
        "agreement": {"tasks_with_overlap": agreement.n_tasks,
                      "fields": {field: {"measure": value.measure, "alpha": value.alpha, "items": value.n_items}
                                 for field, value in agreement.fields.items()}},
        "flags_judged": flag_precision(store, answers.resolution),
        "exported": exported,
        "drift": _drift(store, previous, chosen) if previous else None,
    }  # fmt: skip


def _exported_during(store: Store, chosen: dict) -> list[dict]:
    """Snapshots exported while the round was open (each records its round when exported)."""
    return [{"name": d.name, "version": d.version, "kind": d.kind, "counts": d.counts, "created_at": d.created_at}
            for d in store.datasets() if d.round_id == chosen["id"]]  # fmt: skip


def _evaluations_of(project: Project, exported: list[dict]) -> list[dict]:
    """Reports with an adapter trained on one of these snapshots: its runs and the gate's verdicts."""
    snapshots = {(item["name"], item["version"]) for item in exported}
    found = []
    for summary in list_reports(project)[0]:
        adapters = [v for v in summary.report.get("variants", []) if v.get("run")]
        trained_here = [
            v
            for v in adapters
            if (v["run"].get("snapshot", {}).get("name"), v["run"].get("snapshot", {}).get("version")) in snapshots
        ]
        if trained_here:
            found.append({"report": summary.name, "created_at": summary.report.get("created_at"),
                          "adapters": [{"name": v["name"], "kind": v["run"].get("kind"), "method": v["run"].get("method"),
                                        "snapshot": f"{v['run']['snapshot']['name']} v{v['run']['snapshot']['version']}",
                                        "passed": summary.report.get("verdicts", {}).get(v["name"]),
                                        "outcome": outcomes(summary.report).get(v["name"])} for v in trained_here],
                          "passed": summary.report.get("passed")})  # fmt: skip
    return found


def _drift(store: Store, previous: dict, chosen: dict) -> dict | None:
    before = [last_user_turn(messages) for messages in store.round_prompts(previous["id"], DRIFT_SAMPLE)]
    now = [last_user_turn(messages) for messages in store.round_prompts(chosen["id"], DRIFT_SAMPLE)]
    if not before or not now:
        return None
    from scipy.spatial.distance import jensenshannon

    texts = before + now
    found = cluster_prompts(texts, min(DRIFT_CLUSTERS, len(texts) // 5), seed=0, stop_words="english")
    labels = found.labels
    clusters = []
    for cluster, top in enumerate(found.terms):
        share_before = float((labels[: len(before)] == cluster).mean())
        share_now = float((labels[len(before) :] == cluster).mean())
        clusters.append({"cluster": cluster, "terms": top, "previous": share_before, "this": share_now})
    clusters.sort(key=lambda c: -(c["this"] + c["previous"]))
    distance = float(jensenshannon([c["previous"] for c in clusters], [c["this"] for c in clusters], base=2))
    return {"against": previous["name"], "prompts": {"previous": len(before), "this": len(now)}, "clusters": clusters,
            "jensen_shannon": 0.0 if math.isnan(distance) else distance}  # fmt: skip
