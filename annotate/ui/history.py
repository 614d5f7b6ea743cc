"""An expert's own submitted work: searchable, and editable within the project's edit window
(an edit is a new annotation that supersedes the old one; nothing is overwritten)."""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from annotate.clock import utc_now
from annotate.errors import FlywheelError
from annotate.records import last_user_turn
from annotate.review.claims import edit_annotation, history
from annotate.review.work_search import where_found
from annotate.store.rows import HistoryEntry
from annotate.ui.correction import VERDICTS
from annotate.ui.preference import CHOICES
from annotate.ui.hotkeys import move_keys, use_hotkeys
from annotate.ui.steps import show_response, show_turns
from annotate.ui.store_access import current_project, open_store
from annotate.ui.text import escape_markdown, show_text


def history_page() -> None:
    st.title("My work")
    if st.session_state.flash:
        st.success(escape_markdown(st.session_state.flash))
        st.session_state.flash = ""
    search = st.text_input("Search your answers", placeholder="words from the prompt, response, correction or rationale")
    email = st.session_state.user["email"]
    with open_store() as store:
        rows = history(store, email, search)
    window = timedelta(minutes=current_project().config.app.edit_window_minutes)
    st.caption(f"{len(rows)} annotations. You can edit one for {window.total_seconds() / 60:g} minutes after submitting it.")
    use_hotkeys(move_keys())
    for row in rows:
        _show(row, window, where_found(row, search))


def _show(row: HistoryEntry, window: timedelta, found: list[str]) -> None:
    answer = row.annotation
    prompt = last_user_turn(row.messages)
    outcome = VERDICTS.get(answer.verdict) if answer.kind == "correction" else CHOICES.get(answer.choice)
    edited = " · edited" if answer.supersedes else ""
    excerpt = " ".join(prompt.split())[:80]
    matched = f" · found in {', '.join(found)}" if found else ""
    title = f"{answer.created_at[:16].replace('T', ' ')} · {answer.kind} · {outcome}{edited} · {excerpt}{matched}"
    with st.expander(escape_markdown(title)):
        if found:
            st.caption(escape_markdown(f"Your search was found in {', '.join(found)}."))
        st.markdown("**Prompt** (the last question)")
        show_text(prompt)
        in_conversation = any(place.startswith("turn ") for place in found)
        turns = f"Whole conversation ({len(row.messages):d} turns, tool calls included)"
        with st.expander(turns, expanded=in_conversation):
            show_turns(row.messages, system=True)
            show_turns(row.messages)
        if answer.kind == "correction":
            st.markdown("**Model's response**")
            show_response(row.response_a or "")
        else:
            st.markdown("**Response A**")
            show_response(row.response_a or "")
            st.markdown("**Response B**")
            show_response(row.response_b or "")
        if answer.corrected_response:
            st.markdown("**Your text**")
            show_response(answer.corrected_response)
        if answer.rationale:
            st.markdown("**Your rationale**")
            show_text(answer.rationale)
        first = datetime.fromisoformat(row.first_submitted_at)
        if utc_now() - first <= window:
            _edit_form(row)


def _edit_form(row: HistoryEntry) -> None:
    key = f"edit-{row.annotation.id}"
    with st.form(key):
        answer = dict(row.annotation.answer)
        if row.annotation.kind == "correction":
            verdict = st.radio("Verdict", list(VERDICTS), index=list(VERDICTS).index(answer["verdict"]), format_func=VERDICTS.get, horizontal=True)
            text = st.text_area("Corrected response", value=answer.get("corrected_response") or row.response_a or "")
            answer.update(verdict=verdict, corrected_response=text if verdict == "corrected" else None)
        else:
            choice = st.radio("Judgment", list(CHOICES), index=list(CHOICES).index(answer["choice"]), format_func=CHOICES.get, horizontal=True)
            better = st.text_area("Better answer (optional)", value=answer.get("better_response") or "")
            answer.update(choice=choice, better_response=better or None)
        taxonomy = current_project().config.taxonomy
        labels = {category.id: category.label for category in taxonomy.failure_categories}
        answer["failure_categories"] = st.multiselect(
            "What is wrong", list(labels), default=[c for c in answer.get("failure_categories", []) if c in labels],
            format_func=labels.get, key=f"{key}-categories",
        )  # fmt: skip
        levels = [None, *taxonomy.severity]
        answer["severity"] = st.selectbox("Severity", levels, index=levels.index(answer.get("severity")) if answer.get("severity") in levels else 0,
                                          format_func=lambda level: level or "—", key=f"{key}-severity")  # fmt: skip
        answer["rationale"] = st.text_area("Rationale", value=answer.get("rationale", ""))
        if st.form_submit_button("Save edit"):
            try:
                with open_store() as store:
                    edit_annotation(store, row.annotation.id, st.session_state.user["email"], answer)
            except FlywheelError as exc:
                st.error(escape_markdown(exc))
                return
            st.session_state.flash = "Edit saved (your earlier answer is kept in the history)."
            st.rerun()
