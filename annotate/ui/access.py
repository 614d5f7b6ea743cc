"""Who each page is for, written once: the page → roles table `PAGE_ROLES`, from which both the
navigation (`annotate.ui.pages.pages_for`) and each page's own check (`require_role`) are derived.

The table lives here, below the pages, because every page imports this module while the
navigation imports every page. A page reached some other way than the navigation still refuses
a role it is not for. Where a domain rule says who may do a page's work (adjudicating, managing
people), the page takes the domain's roles.
"""

from __future__ import annotations

import streamlit as st

from annotate.consensus.adjudication import ADJUDICATING_ROLES
from annotate.records import ROLES, PersonRole
from annotate.review.annotators import MANAGING_ROLES
from annotate.review.claims import ANSWERING_ROLES
from annotate.ui.text import escape_markdown

EXPERTS: tuple[PersonRole, ...] = ANSWERING_ROLES  # who answers tasks (the domain rule of claims)
LEADS: tuple[PersonRole, ...] = ("lead", "admin")
WATCHERS: tuple[PersonRole, ...] = ("lead", "engineer", "admin")  # who follows the store, the models and the rounds
ENGINEERS: tuple[PersonRole, ...] = ("engineer", "admin")

# Each page (its name is its URL path) and the roles it is offered to, in navigation order.
PAGE_ROLES: dict[str, tuple[PersonRole, ...]] = {
    "correct": EXPERTS,
    "compare": EXPERTS,
    "history": EXPERTS,
    "overview": WATCHERS,
    "agreement": LEADS,
    "adjudicate": ADJUDICATING_ROLES,
    "people": MANAGING_ROLES,
    "export": ENGINEERS,
    "models": WATCHERS,
    "rounds": WATCHERS,
}
# The same table by role: the pages each role is offered, in navigation order.
PAGES_BY_ROLE: dict[str, tuple[str, ...]] = {
    role: tuple(page for page, roles in PAGE_ROLES.items() if role in roles) for role in ROLES
}


def roles_for(page: str) -> tuple[str, ...]:
    """The roles offered `page`, in `annotate.records.ROLES` order."""
    return tuple(role for role in ROLES if role in PAGE_ROLES[page])


def require_role(*, page: str) -> None:
    """Stop the page with a plain message unless the signed-in user's role is offered `page`."""
    roles = roles_for(page)
    user = st.session_state.get("user")
    if not user or user["role"] not in roles:
        st.error(escape_markdown(f"This page is only for {', '.join(roles)} accounts."))
        st.stop()
