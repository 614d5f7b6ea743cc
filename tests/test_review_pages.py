"""The review app's pages through Streamlit's AppTest, against a real project and SQLite file."""

import time

import pytest
from streamlit.testing.v1 import AppTest

from annotate.review.annotators import add_annotator
from annotate.review.claims import next_task, submit
from annotate.ui.text import escape_markdown
from tests.conftest import REPO, make_tasks, review_app_as, run_page

PASSWORD = "correct horse battery"


@pytest.fixture
def people(store):
    add_annotator(store, "ana@example.com", password=PASSWORD)
    add_annotator(store, "ben@example.com", password=PASSWORD)
    add_annotator(store, "lea@example.com", role="lead", password=PASSWORD)
    return store


def app_signed_in_as(email: str) -> AppTest:
    app = AppTest.from_file(str(REPO / "review_app.py"), default_timeout=30).run()
    app.text_input(key="sign_in_email").input(email)
    app.text_input(key="sign_in_password").input(PASSWORD)
    return app.button[0].click().run()


def test_nobody_sees_anything_before_signing_in(env, people):
    make_tasks(people, 1)
    app = AppTest.from_file(str(REPO / "review_app.py"), default_timeout=30).run()
    assert not app.exception
    assert app.title[0].value == "Flywheel review"
    assert len(app.text_input) == 2 and not app.text_area


def test_a_wrong_password_is_refused_with_a_generic_message(env, people):
    app = AppTest.from_file(str(REPO / "review_app.py"), default_timeout=30).run()
    app.text_input(key="sign_in_email").input("ana@example.com")
    app.text_input(key="sign_in_password").input("not it")
    app.button[0].click().run()
    assert "wrong email or password" in app.error[0].value
    assert app.title[0].value == "Flywheel review"


def test_an_annotator_signs_in_and_gets_the_correction_workspace(env, people):
    make_tasks(people, 2)
    app = app_signed_in_as("ana@example.com")
    assert not app.exception
    assert app.title[0].value == "Correct responses"
    assert app.text_area(key=f"corrected-{1}").value == "answer 0"
    assert f"Signed in as **{escape_markdown('ana@example.com')}** (annotator)" in app.sidebar.caption[0].value


def test_roles_decide_the_pages(env, people):
    from annotate.ui.pages import PAGES_BY_ROLE

    assert "overview" not in PAGES_BY_ROLE["annotator"]
    assert "overview" in PAGES_BY_ROLE["lead"]
    lead = app_signed_in_as("lea@example.com")
    assert not lead.exception and lead.title[0].value == "Correct responses"


def test_submitting_a_correction_stores_it_and_brings_the_next_task(env, people):
    first, second = make_tasks(people, 2)
    app = run_page("annotate.ui.correction.correction_page", "ana@example.com")
    app.text_area(key=f"corrected-{first}").input("answer 0, corrected").run()
    assert any(":green[**0, corrected**]" in block.value for block in app.markdown), "the live diff shows the edit"
    app.radio(key=f"verdict-{first}").set_value("corrected")
    app.multiselect(key=f"categories-{first}").set_value(["factual_error"])
    app.selectbox(key=f"severity-{first}").set_value("major")
    app.text_area(key=f"rationale-{first}").input("Wrong figure.")
    app.button(key=f"submit-{first}").click().run()
    assert not app.exception
    (annotation,) = people.annotations_of(first)
    assert (annotation.verdict, annotation.corrected_response, annotation.severity) == ("corrected", "answer 0, corrected", "major")
    assert annotation.seconds_spent is not None
    assert app.success[0].value.startswith("Saved")
    assert app.text_area(key=f"corrected-{second}").value == "answer 1"


def test_an_edit_with_the_acceptable_verdict_is_questioned_not_stored(env, people):
    (task,) = make_tasks(people, 1)
    app = run_page("annotate.ui.correction.correction_page", "ana@example.com")
    app.text_area(key=f"corrected-{task}").input("changed").run()
    assert app.radio(key=f"verdict-{task}").value == "corrected", "the verdict followed the edit"
    app.radio(key=f"verdict-{task}").set_value("acceptable")  # the expert sets it back by hand
    app.button(key=f"submit-{task}").click().run()
    assert "choose 'Corrected'" in app.error[0].value
    assert app.text_area(key=f"corrected-{task}").value == "changed", "the expert's edit stays on screen"
    assert people.annotations_of(task) == []


def test_skip_releases_the_task_with_a_reason(env, people):
    first, second = make_tasks(people, 2)
    app = run_page("annotate.ui.correction.correction_page", "ana@example.com")
    app.text_input(key=f"skip-reason-{first}").input("needs a payroll expert")  # typed, no Enter: the click sends it
    app.button(key=f"skip-{first}").click().run()
    assert not app.exception
    claim = next(people.db.query("SELECT outcome, reason FROM claims WHERE task_id = ?", [first]))
    assert claim == {"outcome": "skipped", "reason": "needs a payroll expert"}
    assert app.text_area(key=f"corrected-{second}").value == "answer 1"


def test_a_lost_slot_keeps_the_experts_text_on_screen(env, people):
    (task,) = make_tasks(people, 1)
    app = run_page("annotate.ui.correction.correction_page", "ana@example.com")
    with people.transaction():
        people.db.execute("UPDATE claims SET expires_at = '2000-01-01T00:00:00.000+00:00' WHERE task_id = ?", [task])
    assert next_task(people, "ben@example.com").task_id == task
    app.text_area(key=f"corrected-{task}").input("my careful rewrite")
    app.radio(key=f"verdict-{task}").set_value("corrected")
    app.multiselect(key=f"categories-{task}").set_value(["incomplete"])
    app.selectbox(key=f"severity-{task}").set_value("minor")
    app.button(key=f"submit-{task}").click().run()
    assert "another expert has taken its last slot" in app.error[0].value
    assert app.code[0].value == "my careful rewrite"
    assert people.annotations_of(task) == []


def test_the_preference_workspace_stores_the_choice_and_a_better_answer(env, people):
    (task,) = make_tasks(people, 1, kind="preference")
    app = run_page("annotate.ui.preference.preference_page", "ana@example.com")
    texts = [text.value for text in app.text]
    assert "answer 0" in texts and "answer 1" in texts
    app.radio(key=f"choice-{task}").set_value("both_bad")
    app.text_area(key=f"better-{task}").input("A better answer.")
    app.button(key=f"submit-{task}").click().run()
    (annotation,) = people.annotations_of(task)
    assert (annotation.choice, annotation.corrected_response) == ("both_bad", "A better answer.")


def test_history_is_searchable_and_an_edit_supersedes(env, people):
    first, second = make_tasks(people, 2)
    for task in (first, second):
        next_task(people, "ana@example.com")
        submit(people, task, "ana@example.com", {"kind": "correction", "verdict": "acceptable", "rationale": f"fine {task}"})
    app = run_page("annotate.ui.history.history_page", "ana@example.com")
    assert len(_rows(app)) == 2
    app.text_input[0].input(f"fine {first}").run()
    assert len(_rows(app)) == 1
    app.radio[0].set_value("unusable")
    app.form_submit_button[0].click().run()
    rows = people.annotations_of(first)
    assert [row.verdict for row in rows] == ["acceptable", "unusable"]
    assert rows[1].supersedes == rows[0].id
    assert people.task(first).done_annotations == 1, "an edit is not another annotation of the task"


def _rows(app: AppTest) -> list:
    """The *My work* list's rows (each holds a collapsed "Whole conversation" expander too)."""
    return [expander for expander in app.expander if not expander.label.startswith("Whole conversation")]


def test_model_text_is_shown_as_text(env, people):
    from annotate.ui.text import diff_markdown, escape_markdown

    payload = "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> **bold**"
    assert "<script>" not in escape_markdown(payload) and "\\<script\\>" in escape_markdown(payload)
    assert "\\*\\*bold\\*\\*" in escape_markdown(payload)
    assert "\\[x\\]\\(javascript" in diff_markdown("a", payload)


def test_an_idle_session_is_signed_out(env, people):
    make_tasks(people, 1)
    app = app_signed_in_as("ana@example.com")
    app.session_state["last_active"] = time.time() - 10 * 3600
    app.run()
    assert app.title[0].value == "Flywheel review"
    assert "idle" in app.info[0].value


def test_a_deactivated_expert_is_signed_out_at_once(env, people):
    make_tasks(people, 1)
    app = app_signed_in_as("ana@example.com")
    from annotate.review.annotators import OPERATOR, deactivate

    deactivate(people, "ana@example.com", by=OPERATOR)
    app.run()
    assert app.title[0].value == "Flywheel review"
    assert "deactivated" in app.info[0].value


def test_lead_pages_refuse_an_annotator_who_reaches_them(env, people):
    app = run_page("annotate.ui.overview.overview_page", "ana@example.com", role="annotator")
    assert not app.exception
    assert app.error[0].value == "This page is only for lead, engineer, admin accounts."
    assert not app.title


def test_a_database_that_cannot_be_opened_is_a_message_not_a_traceback(env, people, monkeypatch, tmp_path):
    broken = tmp_path / "broken.db"
    broken.write_text("not a database " * 200)
    monkeypatch.setenv("FLYWHEEL_DB", str(broken))
    app = review_app_as("ana@example.com")
    assert not app.exception
    assert "cannot open as a Flywheel database" in app.error[0].value


def test_a_busy_database_at_submit_keeps_the_task_and_the_text(env, people, project, monkeypatch):
    import sqlite3

    import annotate.store
    import annotate.ui.workspace as workspace

    (task,) = make_tasks(people, 1)
    app = run_page("annotate.ui.correction.correction_page", "ana@example.com")
    monkeypatch.setattr(annotate.store, "BUSY_TIMEOUT_SECONDS", 0.2)
    real_submit = workspace.submit

    def submit_while_another_process_writes(*args, **kwargs):
        writer = sqlite3.connect(project.db_path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # holds the write lock past the busy timeout
        try:
            return real_submit(*args, **kwargs)
        finally:
            writer.rollback()
            writer.close()

    monkeypatch.setattr(workspace, "submit", submit_while_another_process_writes)
    app.text_area(key=f"corrected-{task}").input("kept text")
    app.radio(key=f"verdict-{task}").set_value("corrected")
    app.multiselect(key=f"categories-{task}").set_value(["incomplete"])
    app.selectbox(key=f"severity-{task}").set_value("minor")
    app.button(key=f"submit-{task}").click().run()
    assert not app.exception
    assert "Could not save just now" in app.error[0].value and "stayed busy for 0.2 s" in app.error[0].value
    assert app.text_area(key=f"corrected-{task}").value == "kept text"
