"""Going from one page to another from code (a click-through), by the page's name in
`annotate.ui.access.PAGE_ROLES`."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

from annotate.ui.text import escape_markdown


def open_page(name: str) -> None:
    """Switch to the page; where it is not routed (a page run on its own), say where to go."""
    from annotate.ui.pages import SHOWN, page_named  # the navigation imports every page, this one included

    try:
        st.switch_page(page_named(name))
    except StreamlitAPIException:
        st.info(escape_markdown(f"Open the {SHOWN[name][1]} page: the tasks are chosen there."))
