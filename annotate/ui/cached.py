"""Views that cost seconds to compute at scale, cached until the review data changes.

A page asks for a view with its arguments; the key adds the database, the config file's version and
the store's change count (`annotate.reports.changes`, bumped inside every write to the review
tables, from any process). A rerun that changed no data (a click on a filter, a tab, the kappa
field) finds the view cached; any write by anyone changes the count and the next run recomputes.
The count is read before the view is computed, so a write landing in between can leave a view
newer than its key, never older. Views are kept per server process (`st.cache_data`), shared by
all sessions: every role that may open the page sees the same numbers.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from annotate.consensus.agreement import AgreementReport, agreement_by_week, agreement_report
from annotate.consensus.answer_table import AnswerFilter
from annotate.consensus.lead_queue import adjudication_queue
from annotate.reports.changes import review_data_version
from annotate.reports.round_report import round_store_report, with_evaluations
from annotate.ui.store_access import current_project, open_store


def agreement_views(filters: AnswerFilter) -> tuple[AgreementReport, pd.DataFrame | None]:
    """The agreement report and its weekly trend (None when no task has two answers) for `filters`."""
    return _agreement_views(*_version(), filters)


def round_report_view(name: str) -> dict:
    """The round report of round `name` (`annotate.reports.round_report`): its store part cached,
    its evaluations read from the project folder each time."""
    return with_evaluations(current_project(), _round_store_report(*_version(), name))


def adjudication_queue_view() -> pd.DataFrame:
    """The lead's queue (`annotate.consensus.lead_queue.adjudication_queue`) over every answer."""
    return _adjudication_queue(*_version())


def _version() -> tuple[tuple[str, int], int, int]:
    """(the database by path and inode, the config file's version, the store's change count):
    a file put in another's place is another database; an edited config, another computation."""
    project = current_project()
    with open_store() as store:
        changes = review_data_version(store)
    return (str(project.db_path), project.db_path.stat().st_ino), project.config_path.stat().st_mtime_ns, changes


@st.cache_data(max_entries=16, show_spinner="Computing agreement…")
def _agreement_views(database: tuple[str, int], config_version: int, changes: int, filters: AnswerFilter):
    project = current_project()
    with open_store() as store:
        report = agreement_report(store, project.config, filters)
        weekly = agreement_by_week(store, project.config, filters) if report.n_tasks else None
    return report, weekly


@st.cache_data(max_entries=16, show_spinner="Computing the round report…")
def _round_store_report(database: tuple[str, int], config_version: int, changes: int, name: str) -> dict:
    with open_store() as store:
        return round_store_report(store, current_project().config, name)


@st.cache_data(max_entries=4, show_spinner="Building the queue…")
def _adjudication_queue(database: tuple[str, int], config_version: int, changes: int) -> pd.DataFrame:
    with open_store() as store:
        return adjudication_queue(store, current_project().config)
