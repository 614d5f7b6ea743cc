"""Flywheel's review app (Streamlit entry point): a router over pages, nothing more.

Run it with `flywheel app` (or `make demo`); the project comes from FLYWHEEL_PROJECT / FLYWHEEL_DB.
"""

import streamlit as st

from annotate.errors import FlywheelError
from annotate.ui.overview import overview_page

st.set_page_config(page_title="Flywheel", page_icon="🔁", layout="wide")

pages = [st.Page(overview_page, title="Store overview", icon="📊", url_path="overview", default=True)]
navigation = st.navigation(pages)
try:
    navigation.run()
except FlywheelError as exc:
    st.error(str(exc))
