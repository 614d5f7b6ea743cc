"""Everything the review app keeps per browser session, initialised in one place."""

from __future__ import annotations

import streamlit as st

SESSION_DEFAULTS: dict[str, object] = {}


def init_session_state() -> None:
    for key, value in SESSION_DEFAULTS.items():
        st.session_state.setdefault(key, value)
