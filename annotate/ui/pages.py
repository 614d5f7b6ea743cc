"""The navigation: which pages each role is offered, from the page → roles table in
`annotate.ui.access` (which each page's own check reads too). A page not offered is not routed,
so its URL shows nothing. A page's URL path is its name in the table."""

from __future__ import annotations

import streamlit as st

from annotate.ui.access import PAGE_ROLES, PAGES_BY_ROLE
from annotate.ui.adjudication import adjudication_page
from annotate.ui.agreement import agreement_page
from annotate.ui.correction import correction_page
from annotate.ui.export import export_page
from annotate.ui.history import history_page
from annotate.ui.models import models_page
from annotate.ui.overview import overview_page
from annotate.ui.people import people_page
from annotate.ui.preference import preference_page
from annotate.ui.rounds import rounds_page

# How each page of the table is shown: its function, title and icon.
SHOWN = {
    "correct": (correction_page, "Correct", ":material/edit:"),
    "compare": (preference_page, "Compare", ":material/compare_arrows:"),
    "history": (history_page, "My work", ":material/history:"),
    "overview": (overview_page, "Store overview", ":material/monitoring:"),
    "agreement": (agreement_page, "Agreement", ":material/insights:"),
    "adjudicate": (adjudication_page, "Adjudicate", ":material/gavel:"),
    "people": (people_page, "Annotators", ":material/group:"),
    "export": (export_page, "Export", ":material/dataset:"),
    "models": (models_page, "Model versions", ":material/model_training:"),
    "rounds": (rounds_page, "Rounds", ":material/autorenew:"),
}


def pages_for(role: str) -> list:
    pages = _pages()
    return [pages[name] for name in PAGES_BY_ROLE.get(role, ())]


def sign_in_pages(sign_in) -> list:
    """Before sign-in, every page's address leads to the sign-in form, so a bookmarked page opens
    after signing in (when the role allows it) instead of "page not found"."""
    form = st.Page(sign_in, title="Sign in", url_path="sign-in", default=True)
    return [form, *(st.Page(sign_in, title="Sign in", url_path=name) for name in PAGE_ROLES)]


def _pages() -> dict:
    return {name: st.Page(SHOWN[name][0], title=SHOWN[name][1], icon=SHOWN[name][2], url_path=name)
            for name in PAGE_ROLES}  # fmt: skip
