"""Role checks inside pages: a page refuses a role it is not for, even if reached some other way."""

from __future__ import annotations

import streamlit as st


def require_role(*roles: str) -> None:
    """Stop the page with a plain message unless the signed-in user has one of `roles`."""
    user = st.session_state.get("user")
    if not user or user["role"] not in roles:
        st.error(f"This page is only for {', '.join(roles)} accounts.")
        st.stop()
