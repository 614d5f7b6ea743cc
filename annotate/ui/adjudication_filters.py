"""The Adjudicate page's queue controls: search, filters (reason, task kind, round) and order, and
a preset list of tasks that the Agreement page's click-through leaves (in the session, or in the
address as `?tasks=1,2,3`). They narrow what `annotate.consensus.lead_queue` built; they decide
nothing."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from annotate.consensus.lead_queue import REASON_KINDS, SORTS, QueueFilter
from annotate.ui.text import escape_markdown

PRESET_KEY = "adjudicate-preset"  # {"task_ids": [...], "label": "..."}: the tasks behind an Agreement figure


def preset_tasks(task_ids, label: str) -> None:
    """Leave a list of tasks for the Adjudicate page to open with (from another page)."""
    st.session_state[PRESET_KEY] = {"task_ids": [int(task_id) for task_id in task_ids], "label": label}


def _preset() -> dict | None:
    preset = st.session_state.get(PRESET_KEY)
    if preset:
        return preset
    given = st.query_params.get("tasks")
    if given:
        ids = [int(part) for part in given.split(",") if part.strip().isdigit()]
        return {"task_ids": ids, "label": "the tasks in the address"} if ids else None
    return None


def _clear_preset() -> None:
    st.session_state[PRESET_KEY] = None
    st.query_params.pop("tasks", None)


def queue_filter(queue: pd.DataFrame) -> QueueFilter:
    """The controls above the queue, as the filter the domain applies."""
    preset = _preset()
    if preset:
        st.info(escape_markdown(f"Showing the tasks behind {preset['label']} ({len(preset['task_ids']):,}) that wait for a "
                                "decision (tasks already settled are not in the queue)."))  # fmt: skip
        st.button("Show the whole queue", key="adjudicate-clear-preset", on_click=_clear_preset)
    search_col, reason_col, kind_col, round_col, sort_col = st.columns([3, 2, 2, 2, 2])
    search = search_col.text_input("Search (prompt, reason, #task)", key="adjudicate-search")
    present = [kind for kind in REASON_KINDS if kind in set(queue["reason_kind"])]
    reasons = reason_col.multiselect("Reason", present, format_func=REASON_KINDS.get, key="adjudicate-reasons")
    kinds = kind_col.multiselect("Task kind", sorted(set(queue["kind"])), key="adjudicate-kinds")
    rounds = round_col.multiselect("Round", sorted(set(queue["round"].dropna())), key="adjudicate-rounds")
    sort = sort_col.selectbox("Order", list(SORTS), format_func=SORTS.get, key="adjudicate-sort")
    return QueueFilter(search=search, reason_kinds=tuple(reasons), kinds=tuple(kinds), rounds=tuple(rounds),
                       task_ids=tuple(preset["task_ids"]) if preset else (), sort=sort)  # fmt: skip
