"""The round report page (leads, engineers): what a round flagged, how the experts agreed, what was
exported, trained and gated, what shipped in every round, and how far its prompts drifted from the
round before, and which flags the experts confirmed."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from annotate.project import list_rounds
from annotate.reports.flag_precision import MIN_EVIDENCE, shown_rows
from annotate.reports.model_versions import NOT_ENOUGH_EVIDENCE, SHIP, what_shipped
from annotate.ui.access import require_role
from annotate.ui.cached import round_report_view
from annotate.ui.labels import FIELD_LABELS, readable
from annotate.ui.store_access import current_project, open_store
from annotate.ui.text import escape_markdown


def rounds_page() -> None:
    require_role(page="rounds")
    st.title("Rounds")
    project = current_project()
    with open_store() as store:
        rounds = list_rounds(store)
        if not rounds:
            st.info("No rounds yet: ingest production logs with `flywheel ingest LOGS.jsonl`.")
            return
        names = [row["name"] for row in reversed(rounds)]
        name = st.selectbox("Round", names, help="Newest first. Drift is measured against the round before.")
        report = round_report_view(name)  # cached until the store's data changes
        shipped, unplaced = what_shipped(store, project)

    chosen = report["round"]
    flagged = report["flag_rate"]["any"]
    columns = st.columns(4)
    columns[0].metric("Production records", f"{report['records']:,}")
    columns[1].metric("Flagged", f"{flagged['rate']:.0%}" if flagged["rate"] is not None else "n/a")
    columns[2].metric("Tasks", f"{sum(row['tasks'] for row in report['tasks']):,}")
    drift = report["drift"]
    columns[3].metric("Prompt drift (JS distance)", f"{drift['jensen_shannon']:.3f}" if drift else "n/a",
                      help="Jensen-Shannon distance between the prompt-cluster mixes of this round and the previous one "
                           "(0: the same mix, 1: nothing in common).")  # fmt: skip
    st.caption(escape_markdown(f"{chosen['name']} · from {chosen['started_at'][:16]} to {(chosen['ended_at'] or 'now (open)')[:16]}"
                               + (f" · model {chosen['model']}" if chosen["model"] else "")))  # fmt: skip

    left, right = st.columns(2)
    with left:
        st.subheader("Flag rate by reason")
        rates = {
            reason: row["rate"]
            for reason, row in report["flag_rate"].items()
            if reason != "any" and row["rate"] is not None
        }
        if rates:
            st.bar_chart(pd.Series(rates, name="share of records"), horizontal=True)
        else:
            st.write("Nothing flagged in this round.")
    with right:
        st.subheader("Failure categories")
        if report["failure_categories"]:
            st.bar_chart(pd.Series(report["failure_categories"], name="answers"), horizontal=True)
        else:
            st.write("No expert answers in this round yet.")

    st.subheader("Agreement")
    fields = report["agreement"]["fields"]
    if fields:
        st.dataframe(readable(pd.DataFrame([{"field": FIELD_LABELS.get(field, field), **row} for field, row in fields.items()])),
                     hide_index=True, width="stretch")  # fmt: skip
        st.caption(f"Over {report['agreement']['tasks_with_overlap']:,} tasks with overlap.")
    else:
        st.write("No overlapping tasks answered yet.")

    _flags_judged(report["flags_judged"])

    st.subheader("Exported, trained, gated")
    if report["exported"]:
        st.dataframe(pd.DataFrame([{"snapshot": f"{d['name']} v{d['version']}", "kind": d["kind"], "train": d["counts"].get("train"),
                                    "eval": d["counts"].get("eval"), "exported": d["created_at"][:16]} for d in report["exported"]]),
                     hide_index=True, width="stretch")  # fmt: skip
    else:
        st.write("Nothing exported during this round yet.")
    for evaluation in report["evaluations"]:
        for adapter in evaluation["adapters"]:
            outcome = adapter["outcome"]
            show = st.success if outcome == SHIP else st.warning if outcome == NOT_ENOUGH_EVIDENCE else st.error
            said = {SHIP: "gate passed", NOT_ENOUGH_EVIDENCE: "not enough evidence"}.get(outcome, "gate failed")
            show(f"**{escape_markdown(adapter['name'])}** " + escape_markdown(
                f"({adapter['kind']} {adapter['method']} on {adapter['snapshot']}): {said} in report {evaluation['report']}"))  # fmt: skip

    st.subheader("What shipped each round")
    table = [{"round": place["round"], "from": place["started_at"][:16],
              "evaluated": ", ".join(f"{r['report']} ({r['snapshot']})" for r in place["reports"]) or "no report",
              "shipped": ", ".join(place["shipped"]) or "nothing shipped"} for place in reversed(shipped)]  # fmt: skip
    st.table(pd.DataFrame(table).map(escape_markdown).set_index("round"))  # st.table renders its cells as markdown
    st.caption("Each evaluation report counts in the round its snapshot was exported in; a candidate ships when the "
               "gate's outcome for it is ship."
               + (f" Not in this store's snapshots: {escape_markdown(', '.join(unplaced))}." if unplaced else ""))  # fmt: skip

    st.subheader("Prompt drift")
    if drift is None:
        st.write("No previous round to compare with." if report["previous_round"] is None else "No prompts to compare.")
        return
    ranked = sorted(drift["clusters"], key=lambda c: abs(c["this"] - c["previous"]), reverse=True)
    clusters = pd.DataFrame([{"prompt cluster (top terms)": ", ".join(c["terms"]), drift["against"]: c["previous"], chosen["name"]: c["this"]}
                             for c in ranked[:TOP_CLUSTERS]]).set_index("prompt cluster (top terms)")  # fmt: skip
    st.bar_chart(clusters, horizontal=True, stack=False, sort=False)
    if len(ranked) > TOP_CLUSTERS:
        st.caption(f"The {TOP_CLUSTERS} clusters whose share moved most, and {len(ranked) - TOP_CLUSTERS:,} more.")
    st.caption(f"Each cluster's share of {drift['prompts']['previous']:,} prompts of {escape_markdown(drift['against'])} and "
               f"{drift['prompts']['this']:,} of {escape_markdown(chosen['name'])} (TF-IDF, k-means, fitted on both).")  # fmt: skip


TOP_CLUSTERS = 15  # the drift chart's bars: more are unreadable


def _flags_judged(section: dict) -> None:
    """Flag precision per reason and the calibration of the confidence signals, with intervals."""
    st.subheader("Flags judged by experts")
    if not section["judged_records"]:
        st.write("No decided tasks in this round yet.")
        return
    st.dataframe(pd.DataFrame(shown_rows(section["precision"], "flag reason")), hide_index=True, width="stretch")
    st.caption(f"Over {section['judged_records']:,} judged records. Confirmed: the experts corrected the answer, marked it "
               "unusable, or preferred the other answer of a pair (or judged both bad). Spot checks are unflagged records "
               f"drawn at random (`flywheel select --spot-check`): their share is what nobody flagged. Under {MIN_EVIDENCE:d} "
               "judged records a share is not enough evidence.")  # fmt: skip
    signals = {"logprob_mean": "mean token logprob", "flag_score": "top flag score"}
    table = []
    for column, (key, title) in zip(st.columns(2), signals.items()):
        bins = section["calibration"][key]["bins"]
        table += [{"signal": title, **row} for row in shown_rows(bins, "bin", undecided=False)]
        with column:
            st.markdown(f"**Calibration: {escape_markdown(title)}**")
            if bins:
                st.altair_chart(_calibration_chart(bins, title), width="stretch")
            else:
                st.write("No judged record has this signal.")
    if table:
        st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")


def _calibration_chart(bins: list[dict], title: str) -> alt.LayerChart:
    """The confirmed share per bin as a point, with its 95% interval as a rule."""
    table = pd.DataFrame([{"bin": row["label"], "share": row["rate"], "low": row["interval"][0], "high": row["interval"][1],
                           "n": row["judged"]} for row in bins])  # fmt: skip
    base = alt.Chart(table).encode(x=alt.X("bin:N", sort=None, title=title))
    rules = base.mark_rule(strokeWidth=3, color="#7f8c8d").encode(y=alt.Y("low:Q", scale=alt.Scale(domain=[0, 1]),
                                                                         title="share confirmed"), y2="high:Q")  # fmt: skip
    points = base.mark_point(filled=True, size=100).encode(y="share:Q", tooltip=["bin", alt.Tooltip("share:Q", format=".0%"),
                                                                                  "n"])  # fmt: skip
    return (rules + points).properties(height=220)
