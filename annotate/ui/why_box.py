"""What a task page shows an expert beside the work: why the task is here (in plain words, the
flaggers' own words one click away, other answers to the same question read-only), what the
failure categories mean, and the project's guidelines.

Every task, gold items and spot checks included, gets the same box with the same parts, so
nothing on the page tells a gold item apart (`annotate.review.why`).
"""

from __future__ import annotations

import streamlit as st

from annotate.review.claims import TaskView
from annotate.review.why import QUALITY_CHECK, OtherAnswer, Reason, other_answers, why_shown
from annotate.ui.store_access import current_project, open_store
from annotate.ui.text import escape_markdown, show_text

NO_FLAG_DETAIL = "no flag on this record"


def show_why(view: TaskView) -> None:
    """The "Why am I looking at this?" box: on Compare each reason names its response, and the
    end user's feedback shows only where `[review] show_feedback_in_compare` says so."""
    compare = view.kind == "preference"
    show_feedback = not compare or current_project().config.review.show_feedback_in_compare
    reasons = why_shown(view, show_feedback=show_feedback)
    with st.container(border=True, key=f"why-{view.task_id}"):
        st.markdown("**Why am I looking at this?**")
        for reason in reasons:
            headline = f"Response {reason.response}: {reason.headline}" if reason.response else reason.headline
            st.markdown(f"**{escape_markdown(headline)}**  \n{escape_markdown(reason.sentence)}")
            if reason.reason == "inconsistency":
                _show_other_answers(view.task_id, reason)
        with st.expander("Details (as the checks wrote them)"):
            for reason in reasons:
                side = f"Response {reason.response} · " if reason.response else ""
                detail = NO_FLAG_DETAIL if reason.reason == QUALITY_CHECK else reason.detail
                show_text(f"{side}{reason.reason}: {detail}")


def _show_other_answers(task_id: int, reason: Reason) -> None:
    with open_store() as store:
        answers = other_answers(store, task_id, reason.response)
    if not answers:
        return
    answers.sort(key=lambda answer: not answer.least_similar)
    whose = f" to response {reason.response}'s question" if reason.response else " to the same question"
    with st.expander(f"Read the other answers{escape_markdown(whose)} ({len(answers)})"):
        st.caption("Read-only: other production answers, shown to compare with; they are not tasks.")
        for answer in answers:
            _show_other_answer(answer)


def _show_other_answer(answer: OtherAnswer) -> None:
    note = " · the least like this one" if answer.least_similar else ""
    st.markdown(f"**{escape_markdown(answer.label)}**{note}")
    show_text(f"Asked: {answer.question}")
    show_text(answer.response)


def category_help() -> str:
    """The taxonomy as plain help text (escape it for markdown): each category's label and description."""
    categories = current_project().config.taxonomy.failure_categories
    return "\n".join(f"{category.label}: {category.description}" for category in categories)


def show_category_meanings() -> None:
    """An expander beside the choices: each category's description and examples."""
    with st.expander("What the categories mean"):
        for category in current_project().config.taxonomy.failure_categories:
            st.markdown(f"**{escape_markdown(category.label)}**: {escape_markdown(category.description)}")
            for example in category.examples:
                st.caption(f"Example: {escape_markdown(example)}")


def show_guidelines() -> None:
    """The project's guidelines (its Markdown file, or the built-in lines when it has none)."""
    with st.popover("Guidelines"):
        st.markdown(current_project().guidelines_text())  # trusted markdown: the project's own guidelines file
