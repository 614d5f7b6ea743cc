"""Which pages each role is offered. A page not offered is not routed, so its URL shows nothing."""

from __future__ import annotations

import streamlit as st

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

ANNOTATOR_PAGES = ("correct", "compare", "history")
LEAD_PAGES = ("agreement", "adjudicate", "people")
PAGES_BY_ROLE = {
    "annotator": ANNOTATOR_PAGES,
    "lead": (*ANNOTATOR_PAGES, "overview", *LEAD_PAGES, "models", "rounds"),
    "engineer": ("overview", "export", "models", "rounds"),
    "admin": (*ANNOTATOR_PAGES, "overview", *LEAD_PAGES, "export", "models", "rounds"),
}


def pages_for(role: str) -> list:
    pages = _pages()
    return [pages[name] for name in PAGES_BY_ROLE.get(role, ())]


def sign_in_pages(sign_in) -> list:
    """Before sign-in, every page's address leads to the sign-in form, so a bookmarked page opens
    after signing in (when the role allows it) instead of "page not found"."""
    form = st.Page(sign_in, title="Sign in", url_path="sign-in", default=True)
    others = [
        st.Page(sign_in, title="Sign in", url_path=page.url_path) for name, page in _pages().items()
    ]
    return [form, *others]


def _pages() -> dict:
    return {
        "correct": st.Page(correction_page, title="Correct", icon=":material/edit:", url_path="correct"),
        "compare": st.Page(preference_page, title="Compare", icon=":material/compare_arrows:", url_path="compare"),
        "history": st.Page(history_page, title="My work", icon=":material/history:", url_path="history"),
        "overview": st.Page(overview_page, title="Store overview", icon=":material/monitoring:", url_path="overview"),
        "agreement": st.Page(agreement_page, title="Agreement", icon=":material/insights:", url_path="agreement"),
        "adjudicate": st.Page(adjudication_page, title="Adjudicate", icon=":material/gavel:", url_path="adjudicate"),
        "people": st.Page(people_page, title="Annotators", icon=":material/group:", url_path="people"),
        "export": st.Page(export_page, title="Export", icon=":material/dataset:", url_path="export"),
        "models": st.Page(models_page, title="Model versions", icon=":material/model_training:", url_path="models"),
        "rounds": st.Page(rounds_page, title="Rounds", icon=":material/autorenew:", url_path="rounds"),
    }
