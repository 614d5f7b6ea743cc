"""Everything the review app keeps per browser session, initialised in one place."""

from __future__ import annotations

import streamlit as st

SESSION_DEFAULTS: dict[str, object] = {
    "user": None,  # the signed-in annotator row (dict), or None
    "last_active": 0.0,  # time.time() of the last page run, for the idle timeout
    "signed_out_reason": "",  # why the last session ended, shown on the sign-in page
    "task_started": {},  # task id -> time.time() when the expert first saw it (time on task)
    "flash": "",  # a one-off confirmation shown after a rerun ("Saved")
    "form_error": "",  # why the last submit was refused (shown with the task still on screen)
    "working_on": set(),  # task kinds a lead or admin asked to work on (they claim nothing before)
    "lost_answer": None,  # {"task_id", "text", "message"}: an answer the store refused, kept to copy
    "session_id": None,  # the store's sessions row behind this sign-in (annotate.review.sessions), if any
    "session_touched": 0.0,  # time.time() when that row's last_seen_at was last written
    "cookie_handoff": None,  # (code, time.time() issued): what the browser still has to exchange for the cookie
    "cookie_end": False,  # the browser still has to be told to drop the session cookie
}


def init_session_state() -> None:
    for key, value in SESSION_DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = value.copy() if isinstance(value, (dict, set)) else value
