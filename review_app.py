"""Flywheel's review app (Streamlit entry point): a router over pages, nothing more.

Nobody sees a page before signing in; the pages offered depend on the signed-in role, and a page
not offered cannot be reached by its URL either. Run it with `flywheel app` (or `make demo`);
the project comes from FLYWHEEL_PROJECT / FLYWHEEL_DB.
"""

import sqlite3
from pathlib import Path

import streamlit as st

from annotate.errors import FlywheelError, StoreBusy
from annotate.ui.pages import pages_for, sign_in_pages
from annotate.ui.session import current_user, send_cookie_instructions, sign_in_page, sign_out
from annotate.ui.state import init_session_state
from annotate.ui.text import escape_markdown

# A local favicon: otherwise Streamlit uses the page's Material icon, which the browser fetches from a CDN.
st.set_page_config(page_title="Flywheel review", page_icon=str(Path(__file__).parent / "annotate/ui/favicon.png"), layout="wide")
init_session_state()

try:
    user = current_user()
    send_cookie_instructions()
    if user is None:
        navigation = st.navigation(sign_in_pages(sign_in_page), position="hidden")
    else:
        navigation = st.navigation(pages_for(user["role"]))
        with st.sidebar:
            st.caption(f"Signed in as **{escape_markdown(user['email'])}** ({escape_markdown(user['role'])})")
            if st.button("Sign out"):
                sign_out("You have signed out.")
                st.rerun()
    navigation.run()
except StoreBusy as exc:
    st.error(escape_markdown(f"The database could not be used just now ({exc}). Nothing was lost: try again in a moment."))
except FlywheelError as exc:
    st.error(escape_markdown(exc))
except sqlite3.Error as exc:  # a damaged or unreadable database file: a message, never a traceback
    st.error(escape_markdown(f"The database could not be used ({exc})."))
