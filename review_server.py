"""The review app as served by `flywheel app`: Streamlit's `st.App` around `review_app.py`, plus
the two routes that set and clear the HttpOnly session cookie (`annotate.ui.session_routes`).

`streamlit run review_server.py` serves it (Streamlit finds `app` below and runs it with uvicorn);
`streamlit run review_app.py` still works, without sessions that survive a reload.
"""

from pathlib import Path

from streamlit.starlette import App

from annotate.ui.session_routes import ROUTES

app = App(Path(__file__).with_name("review_app.py"), routes=ROUTES)
