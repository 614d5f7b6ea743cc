"""The store overview page: records by source and model, the feedback mix, rounds, recent ingests."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from annotate.reports.overview import store_overview
from annotate.ui.access import require_role
from annotate.ui.labels import readable
from annotate.ui.store_access import current_project, open_store
from annotate.ui.text import escape_markdown


def overview_page() -> None:
    require_role(page="overview")
    st.title("Store overview")
    project = current_project()
    with open_store() as store:
        overview = store_overview(store)
    round_name = overview.open_round["name"] if overview.open_round else "none"
    st.caption(f"Project **{escape_markdown(project.config.project.name)}** · database {escape_markdown(project.db_path)} · "
               f"open round **{escape_markdown(round_name)}**")  # fmt: skip
    if not overview.total_records:
        st.info("No records yet. Ingest production logs with `flywheel ingest LOGS.jsonl`.")
        return

    feedback = overview.feedback
    columns = st.columns(4)
    columns[0].metric("Records", f"{overview.total_records:,}")
    columns[1].metric("Thumbs down", f"{feedback['thumbs_down']:,}")
    columns[2].metric("Rated 1 or 2", f"{feedback['rated_1_or_2']:,}")
    columns[3].metric("No feedback", f"{feedback['no_feedback']:,}")

    st.subheader("Records by source and model")
    st.dataframe(readable(pd.DataFrame(overview.by_source_and_model)), hide_index=True, width="stretch")

    left, right = st.columns(2)
    with left:
        st.subheader("Feedback mix")
        mix = {
            "thumbs up": feedback["thumbs_up"],
            "thumbs down": feedback["thumbs_down"],
            "with a comment": feedback["commented"],
            "no feedback": feedback["no_feedback"],
        }
        st.bar_chart(pd.Series(mix, name="records"), horizontal=True)
    with right:
        st.subheader("Ratings")
        if overview.ratings:
            st.bar_chart(pd.DataFrame(overview.ratings).set_index("rating"))
        else:
            st.write("No ratings in these logs.")
    signals = st.columns(2)
    signals[0].metric("With logprob statistics", f"{feedback['with_logprobs']:,}")
    signals[1].metric("In a paraphrase group", f"{feedback['in_a_group']:,}")

    st.subheader("Flags")
    if overview.flags:
        st.bar_chart(pd.DataFrame(overview.flags).set_index("reason")["records"], horizontal=True)
        pairs = ", ".join(f"{origin}: {count:,}" for origin, count in sorted(overview.preference_candidates.items()))
        st.caption(f"Preference candidates — {escape_markdown(pairs or 'none')}")
    else:
        st.write("Nothing flagged yet: `flywheel flag`.")

    st.subheader("Expert queue")
    if overview.queue:
        st.dataframe(readable(pd.DataFrame(overview.queue)), hide_index=True, width="stretch")
        st.caption("Top of the review app's queue, and why each task is there:")
        head = pd.DataFrame(overview.queue_head)
        if not head.empty:
            columns = ["id", "kind", "priority", "prompt", "why", "required_annotations", "done_annotations"]
            st.dataframe(readable(head[columns]), hide_index=True, width="stretch")
    else:
        st.write("No tasks yet: `flywheel select --budget N` after flagging.")

    st.subheader("Rounds")
    st.dataframe(readable(pd.DataFrame(overview.rounds)), hide_index=True, width="stretch")
    st.subheader("Recent ingests")
    ingests = pd.DataFrame(overview.recent_ingests)
    columns_shown = ["id", "path", "source", "format", "status", "n_read", "n_ingested", "n_present", "n_rejected", "started_at"]
    if ingests.empty:  # records can arrive without an ingest (gold items, generated sets)
        st.write("No ingests yet.")
    else:
        st.dataframe(readable(ingests[columns_shown]), hide_index=True, width="stretch")
    st.caption(
        "Expert review, agreement, export and training arrive with their own pages; "
        "this page only reports what is in the store."
    )
