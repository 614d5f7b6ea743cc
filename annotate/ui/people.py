"""The annotators page: who may sign in, with which role, their gold accuracy and whether they
take new tasks; add people, deactivate, reactivate, pause and resume, change roles. The rules (leads manage everyone but admins; only an admin grants or changes the
admin role; nobody deactivates their own account; the last admin stays) are the domain's, in
`annotate.review.annotators`: this page offers what the signed-in role may give and shows the
domain's refusal as the notice."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from annotate.errors import FlywheelError
from annotate.review.annotators import (
    add_annotator,
    deactivate,
    grantable_roles,
    list_annotators,
    pause,
    reactivate,
    resume,
    set_role,
)
from annotate.review.auth import account_status, generate_password, minute_text
from annotate.review.quality import Standing, standings
from annotate.ui.access import require_role
from annotate.ui.agreement import show_pauses
from annotate.ui.store_access import open_store
from annotate.ui.text import escape_markdown

NOTICE_KEY = "people_notice"  # ("success" | "error", message) from the last action
PASSWORD_KEY = "people_password"  # (email, password): a generated password, shown once
PERSON_KEY = "people-person"


def people_page() -> None:
    require_role(page="people")
    st.title("Annotators")
    _show_notice()
    with open_store() as store:
        people = list_annotators(store)
        quality = {standing.email: standing for standing in standings(store, people)}
    show_pauses(quality.values())
    st.dataframe(people_table(people, quality), hide_index=True, width="stretch")
    add, change = st.columns(2, gap="large")
    with add:
        _add_form()
    with change:
        _change_form(people, quality)


def people_table(people: list[dict], quality: dict[str, Standing] | None = None) -> pd.DataFrame:
    quality = quality or {}
    return pd.DataFrame(
        [{"email": person["email"], "name": person["name"] or "", "role": person["role"], "active": account_status(person),
          "last sign-in (UTC)": minute_text(person["last_sign_in_at"]) or "never",
          "gold accuracy": quality[person["email"]].tally.text() if person["email"] in quality else "",
          "new tasks": ("paused" if quality[person["email"]].paused else "yes") if person["email"] in quality else ""}
         for person in people],
        columns=["email", "name", "role", "active", "last sign-in (UTC)", "gold accuracy", "new tasks"],
    )  # fmt: skip


def _show_notice() -> None:
    notice = st.session_state.get(NOTICE_KEY)
    if notice:
        (st.success if notice[0] == "success" else st.error)(escape_markdown(notice[1]))
        st.session_state[NOTICE_KEY] = None
    shown = st.session_state.get(PASSWORD_KEY)
    if shown:
        st.markdown("Their password (shown only this once; pass it on safely):")
        st.code(shown[1], language=None)
        st.session_state[PASSWORD_KEY] = None


def _grantable() -> list[str]:
    """The roles the signed-in user may give (the domain's rule: all for an admin, all but admin for a lead)."""
    return list(grantable_roles(st.session_state.user["role"]))


def _add_form() -> None:
    st.subheader("Add someone")
    with st.form("people-add"):
        st.text_input("Email", key="people-add-email")
        st.selectbox("Role", _grantable(), key="people-add-role")
        st.text_input("Name (optional)", key="people-add-name")
        st.form_submit_button("Add with a generated password", type="primary", key="people-add-submit", on_click=_add)


def _change_form(people: list[dict], quality: dict[str, Standing]) -> None:
    st.subheader("Change someone")
    if not people:
        st.write("Nobody is registered yet.")
        return
    by_email = {person["email"]: person for person in people}
    email = st.selectbox("Person", list(by_email), key=PERSON_KEY)
    person = by_email[email]
    roles = _grantable()
    options = roles if person["role"] in roles else [person["role"], *roles]
    role_column, button_column = st.columns([3, 2], vertical_alignment="bottom")
    role_column.selectbox("Role", options, index=options.index(person["role"]), key=f"people-role-{email}")
    button_column.button("Change role", key="people-set-role", on_click=_set_role, args=(email,))
    if person["active"]:
        st.button("Deactivate", key="people-deactivate", on_click=_deactivate, args=(email,),
                  help="They can no longer sign in or take tasks; their answers stay, held tasks go back to the queue.")  # fmt: skip
    else:
        st.button("Reactivate", key="people-reactivate", on_click=_reactivate, args=(email,))
    paused = email in quality and quality[email].paused
    reason_column, pause_column = st.columns([3, 2], vertical_alignment="bottom")
    reason_column.text_input("Why (to pause or resume)", key="people-pause-reason")
    if paused:
        pause_column.button("Resume new tasks", key="people-resume", on_click=_resume, args=(email,),
                            help="They take new tasks again; only their gold answers from now on count toward a new pause.")  # fmt: skip
    else:
        pause_column.button("Pause new tasks", key="people-pause", on_click=_pause, args=(email,),
                            help="They get no new tasks; what they hold and their answers stay.")  # fmt: skip


def _add() -> None:
    state = st.session_state
    email, role, name = state["people-add-email"].strip(), state["people-add-role"], state["people-add-name"].strip()
    password = generate_password()
    if _run(lambda store: add_annotator(store, email, role, name or None, password=password, by=_me()),
            f"Added {email} as {role}."):  # fmt: skip
        state[PASSWORD_KEY] = (email, password)
        state["people-add-email"] = state["people-add-name"] = ""


def _set_role(email: str) -> None:
    role = st.session_state[f"people-role-{email}"]
    _run(lambda store: set_role(store, email, role, by=_me()), f"{email} is now {role}.")


def _deactivate(email: str) -> None:
    _run(lambda store: deactivate(store, email, by=_me()), f"Deactivated {email}: they can no longer sign in.")


def _reactivate(email: str) -> None:
    _run(lambda store: reactivate(store, email, by=_me()), f"Reactivated {email}.")


def _pause(email: str) -> None:
    reason = st.session_state["people-pause-reason"]
    if _run(lambda store: pause(store, email, reason, by=_me()), f"Paused {email} from new tasks."):
        st.session_state["people-pause-reason"] = ""


def _resume(email: str) -> None:
    reason = st.session_state["people-pause-reason"]
    if _run(lambda store: resume(store, email, reason, by=_me()), f"{email} takes new tasks again."):
        st.session_state["people-pause-reason"] = ""


def _me() -> str:
    """The signed-in person, who makes every change on this page."""
    return st.session_state.user["email"]


def _run(action, message: str) -> bool:
    """Run `action(store)`; keep the outcome as the notice shown on the next run."""
    try:
        with open_store() as store:
            action(store)
    except FlywheelError as exc:  # StoreBusy included
        st.session_state[NOTICE_KEY] = ("error", str(exc))
        return False
    st.session_state[NOTICE_KEY] = ("success", message)
    return True


