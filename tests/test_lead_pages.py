"""The lead's pages (agreement, adjudication, annotators) through Streamlit's AppTest, against a
real project and SQLite file with answers submitted the way the review app stores them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from annotate.consensus.adjudication import adjudication_queue
from annotate.consensus.agreement import agreement_report
from annotate.review.annotators import add_annotator
from annotate.review.auth import sign_in
from annotate.review.claims import submit
from annotate.store.rows import Annotation
from annotate.ui.text import escape_markdown
from tests.conftest import make_tasks, run_page

ANN, BOB, CYD, DEE, LEA = "ann@x.test", "bob@x.test", "cyd@x.test", "dee@x.test", "lea@x.test"
AGREEMENT, ADJUDICATION, PEOPLE = (f"annotate.ui.{name}" for name in ("agreement.agreement_page",
                                   "adjudication.adjudication_page", "people.people_page"))  # fmt: skip


def verdict(name: str, text: str | None = None, rationale: str = "") -> dict:
    """An answer with the verdict; a correction names what was wrong and how badly, as the rules ask."""
    needed = {"failure_categories": ["incomplete"], "severity": "minor"} if name == "corrected" else {}
    return {"kind": "correction", "verdict": name, "corrected_response": text, "rationale": rationale or "seen", **needed}


@pytest.fixture
def people(store):
    for email in (ANN, BOB, CYD, DEE):
        add_annotator(store, email, name=email.split("@")[0].title())
    add_annotator(store, LEA, "lead")
    return store


@pytest.fixture
def overlap(people, project):
    """12 tasks ann, bob and cyd all answered (ann and bob always agree; cyd flips every third),
    2 more shared by ann, bob and dee, and 2 split tasks that need a lead. Returns the split ones.
    Thin majorities stay out of the queue here (tests/test_lead_queue.py has them)."""
    config = project.config_path.read_text()
    project.config_path.write_text(config.replace("low_agreement_below = 0.7", "low_agreement_below = 0"))
    project.__dict__.pop("config", None)  # read again
    for number, task in enumerate(make_tasks(people, 12, required=3)):
        base = "acceptable" if number % 2 else "unusable"
        flipped = "unusable" if base == "acceptable" else "acceptable"
        for email, value in ((ANN, base), (BOB, base), (CYD, flipped if number % 3 == 0 else base)):
            submit(people, task, email, verdict(value))
    for task in make_tasks(people, 2, required=3):
        for email in (ANN, BOB, DEE):
            submit(people, task, email, verdict("acceptable"))
    split = make_tasks(people, 2, required=3, texts=lambda n: (f"split question {n}", f"split answer {n}"))
    for task in split:
        submit(people, task, ANN, verdict("unusable", rationale="cannot be answered"))
        submit(people, task, BOB, verdict("corrected", f"Bob's fix {task}.", rationale="one word was wrong"))
        submit(people, task, CYD, verdict("acceptable", rationale="looks right"))
    return split


def answer_of(store, task: int, email: str) -> Annotation:
    return next(row for row in store.task_answers(task) if row.email == email)


# --- who sees the pages -------------------------------------------------------------------------


@pytest.mark.parametrize("page", [AGREEMENT, ADJUDICATION, PEOPLE])
def test_an_annotator_is_refused_every_lead_page(env, people, page):
    app = run_page(page, ANN, role="annotator")
    assert not app.exception
    assert app.error[0].value == "This page is only for lead, admin accounts."
    assert not app.title and not app.dataframe


def test_leads_and_admins_are_offered_the_three_pages_after_the_overview():
    from annotate.ui.pages import PAGES_BY_ROLE

    lead_pages = ("correct", "compare", "history", "overview", "agreement", "adjudicate", "people")
    assert PAGES_BY_ROLE["lead"] == (*lead_pages, "models", "rounds")
    assert PAGES_BY_ROLE["admin"] == (*lead_pages, "export", "models", "rounds")
    assert not {"agreement", "adjudicate", "people"} & set(PAGES_BY_ROLE["annotator"] + PAGES_BY_ROLE["engineer"])


# --- agreement ----------------------------------------------------------------------------------


def test_the_dashboard_shows_agreement_numbers_for_the_overlap(env, overlap, people):
    app = run_page(AGREEMENT, LEA, role="lead")
    assert not app.exception
    assert app.title[0].value == "Agreement"
    assert "Over **16** tasks with two or more answers." in app.caption[0].value
    fields = app.dataframe[0].value.set_index("field")
    report = agreement_report(people, env.config)
    assert fields.loc["Verdict", "items"] == 16 and fields.loc["Verdict", "annotators"] == 4
    assert fields.loc["Verdict", "value"] == pytest.approx(report.fields["verdict"].alpha)
    assert fields.loc["Verdict", "low"] <= fields.loc["Verdict", "value"] <= fields.loc["Verdict", "high"]
    assert fields.loc["Preference", "items"] == 0 and pd.isna(fields.loc["Preference", "value"])
    assert len(app.get("vega_lite_chart")) >= 2, "alpha per field and the kappa heatmap (one week: no trend chart)"

    kappa = app.dataframe[1].value  # the heatmap's cells as a table, annotator x annotator
    for other in (BOB, CYD):  # 16 and 14 shared items: a kappa each
        assert report.kappa["verdict"][ANN][other] is not None
        assert kappa.loc[ANN, other] == f"{report.kappa['verdict'][ANN][other]:.2f}"
    assert kappa.loc[ANN, DEE] == "too few items", "2 shared items, fewer than min_shared_items"

    per_person = app.dataframe[2].value.set_index("annotator")
    assert per_person.loc[ANN, "answers"] == 16 and per_person.loc[DEE, "answers"] == 2
    assert per_person.loc[BOB, "agrees with decision"] == pytest.approx(1.0)
    assert per_person.loc[CYD, "agrees with decision"] == pytest.approx(8 / 12)


def test_the_dashboard_filters_and_says_when_there_is_no_overlap(env, overlap):
    app = run_page(AGREEMENT, LEA, role="lead")
    app.selectbox(key="agreement-kind").set_value("preference").run()
    assert not app.exception
    assert "No overlap yet" in app.info[0].value
    app.selectbox(key="agreement-kind").set_value("correction")
    app.selectbox(key="agreement-annotator").set_value(DEE).run()
    assert "Over **2** tasks" in app.caption[0].value
    today = datetime.now(UTC).date()
    app.date_input(key="agreement-dates").set_value((today - timedelta(days=30), today - timedelta(days=1))).run()
    assert "No overlap yet" in app.info[0].value
    app.date_input(key="agreement-dates").set_value((today, today)).run()  # the end day counts
    assert "Over **2** tasks" in app.caption[0].value


def test_an_empty_project_has_no_overlap_yet(env, people):
    app = run_page(AGREEMENT, LEA, role="lead")
    assert not app.exception
    assert "No overlap yet" in app.info[0].value


# --- adjudication -------------------------------------------------------------------------------


def test_the_workspace_shows_the_queue_the_task_and_every_answer(env, overlap, people):
    first, second = overlap
    app = run_page(ADJUDICATION, LEA, role="lead")
    assert not app.exception
    queue = app.dataframe[0].value
    assert sorted(queue["task"]) == [first, second]
    assert all("no majority" in why for why in queue["why"])
    assert app.selectbox(key="adjudicate-task").value == first
    texts = [text.value for text in app.text]
    assert "split question 0" in texts and "split answer 0" in texts
    assert f"Bob's fix {first}." in texts and "cannot be answered" in texts and "looks right" in texts
    for email in (ANN, BOB, CYD):
        assert sum(escape_markdown(email) in markdown.value for markdown in app.markdown) == 1, "who wrote it, once"
        assert app.button(key=f"pick-{first}-{answer_of(people, first, email).id}").label == "Pick this answer"


def test_an_empty_reason_is_refused_and_nothing_is_stored(env, overlap, people):
    first, _ = overlap
    bobs = answer_of(people, first, BOB)
    app = run_page(ADJUDICATION, LEA, role="lead")
    app.button(key=f"pick-{first}-{bobs.id}").click().run()
    assert not app.exception
    assert "a decision needs a reason" in app.error[0].value
    assert people.adjudication_history(first) == []
    app.text_area(key=f"reason-{first}").input("   ")
    app.button(key=f"write-{first}-save").click().run()
    assert "Choose a verdict first." in app.error[0].value
    app.radio(key=f"write-{first}-verdict").set_value("unusable")
    app.button(key=f"write-{first}-save").click().run()
    assert "a decision needs a reason" in app.error[0].value
    assert people.adjudication_history(first) == []


def test_picking_an_answer_stores_the_decision_and_brings_the_next_task(env, overlap, people):
    first, second = overlap
    bobs = answer_of(people, first, BOB)
    app = run_page(ADJUDICATION, LEA, role="lead")
    app.text_area(key=f"reason-{first}").input("Bob found the one wrong word.")
    app.button(key=f"pick-{first}-{bobs.id}").click().run()
    assert not app.exception
    (decision,) = people.adjudication_history(first)
    assert (decision.method, decision.picked_annotation_id, decision.verdict) == (
        "picked",
        bobs.id,
        "corrected",
    )
    assert decision.reason == "Bob found the one wrong word." and decision.lead_email == LEA
    assert decision.answer["corrected_response"] == f"Bob's fix {first}."
    assert adjudication_queue(people, env.config)["task_id"].tolist() == [second]
    assert app.success[0].value.startswith(f"Task #{first} decided: corrected")
    assert app.selectbox(key="adjudicate-task").value == second
    assert app.dataframe[0].value["task"].tolist() == [second]


def test_a_written_decision_is_stored_and_the_queue_empties(env, overlap, people):
    app = run_page(ADJUDICATION, LEA, role="lead")
    for task in overlap:  # the second comes up by itself once the first is decided
        assert app.selectbox(key="adjudicate-task").value == task
        app.radio(key=f"write-{task}-verdict").set_value("corrected")
        app.text_area(key=f"write-{task}-text").input(f"The lead's answer {task}.")
        app.multiselect(key=f"write-{task}-categories").set_value(["factual_error"])
        app.selectbox(key=f"write-{task}-severity").set_value("major")
        app.text_area(key=f"reason-{task}").input("Neither answer had it right.")
        app.button(key=f"write-{task}-save").click().run()
        assert not app.exception
        (decision,) = people.adjudication_history(task)
        stored = decision.answer
        assert (decision.method, decision.picked_annotation_id, decision.reason) == (
            "written",
            None,
            "Neither answer had it right.",
        )
        assert (stored["corrected_response"], stored["failure_categories"], stored["severity"]) == (
            f"The lead's answer {task}.", ["factual_error"], "major")  # fmt: skip
    assert adjudication_queue(people, env.config).empty
    assert "Nothing to adjudicate" in app.success[-1].value


def test_a_merge_starts_from_an_answer_and_keeps_the_edits(env, overlap, people):
    first, _ = overlap
    cyds = answer_of(people, first, CYD)
    app = run_page(ADJUDICATION, LEA, role="lead")
    app.selectbox(key=f"merge-base-{first}").set_value(cyds.id).run()
    prefix = f"merge-{first}-{cyds.id}"
    assert app.radio(key=f"{prefix}-verdict").value == "acceptable"
    assert app.text_area(key=f"{prefix}-rationale").value == "looks right"
    app.selectbox(key=f"{prefix}-severity").set_value("minor")
    app.text_area(key=f"reason-{first}").input("Cyd is right; a minor wording issue at most.")
    app.button(key=f"{prefix}-save").click().run()
    (decision,) = people.adjudication_history(first)
    stored = decision.answer
    assert (decision.method, stored["verdict"], stored["severity"], stored["rationale"]) == (
        "merged",
        "acceptable",
        "minor",
        "looks right",
    )


def test_a_decided_task_is_promoted_to_gold_and_its_decisions_are_listed(env, overlap, people):
    first, _ = overlap
    bobs = answer_of(people, first, BOB)
    app = run_page(ADJUDICATION, LEA, role="lead")
    app.text_area(key=f"reason-{first}").input("Bob is right.")
    app.button(key=f"pick-{first}-{bobs.id}").click().run()
    app.button(key="promote-last").click().run()
    assert not app.exception
    assert app.success[0].value == f"Task #{first}'s decision is now a gold item."
    assert "promote-last" not in [button.key for button in app.button], "offered only right after the decision"
    (gold,) = people.db.query("SELECT * FROM gold_answers")
    assert (
        gold["source"] == "adjudication" and json.loads(gold["answer"])["corrected_response"] == f"Bob's fix {first}."
    )

    app.radio(key="adjudicate-mode").set_value("decided").run()
    assert app.selectbox(key="adjudicate-decided-task").value == first
    history = app.dataframe[1].value
    assert history["reason"].tolist() == ["Bob is right."] and history["by"].tolist() == [LEA]
    app.button(key=f"promote-{first}").click().run()
    assert app.success[0].value == f"Task #{first}'s decision is already a gold item."


# --- people -------------------------------------------------------------------------------------


def test_the_people_page_lists_everyone(env, people):
    app = run_page(PEOPLE, LEA, role="lead")
    assert not app.exception
    table = app.dataframe[0].value.set_index("email")
    assert table.loc[LEA, "role"] == "lead" and table.loc[ANN, "name"] == "Ann"
    assert table.loc[ANN, "active"] == "yes" and table.loc[ANN, "last sign-in (UTC)"] == "never"


def test_a_lead_adds_someone_with_a_password_shown_once(env, people, project):
    app = run_page(PEOPLE, LEA, role="lead")
    app.text_input(key="people-add-email").input("new@x.test")
    app.selectbox(key="people-add-role").set_value("annotator")
    app.text_input(key="people-add-name").input("Newcomer")
    app.button(key="people-add-submit").click().run()
    assert not app.exception
    assert app.success[0].value == escape_markdown("Added new@x.test as annotator.")  # shown as text: no mailto: link
    password = app.code[0].value
    person = sign_in(people, "new@x.test", password, max_failed=5, lockout_minutes=15)
    assert (person["role"], person["name"]) == ("annotator", "Newcomer")
    assert "new@x.test" in app.dataframe[0].value["email"].tolist()
    app.run()
    assert not app.code, "the password is shown only once"


def test_adding_an_existing_email_is_refused_with_a_message(env, people):
    app = run_page(PEOPLE, LEA, role="lead")
    app.text_input(key="people-add-email").input(ANN)
    app.button(key="people-add-submit").click().run()
    assert app.error[0].value == escape_markdown(f"{ANN} is already registered")
    assert not app.code


def test_a_lead_changes_a_role_and_deactivates_and_reactivates(env, people):
    app = run_page(PEOPLE, LEA, role="lead")
    assert "admin" not in app.selectbox(key="people-add-role").options, "only an admin grants the admin role"
    app.selectbox(key="people-person").set_value(BOB).run()
    app.selectbox(key=f"people-role-{BOB}").set_value("lead")
    app.button(key="people-set-role").click().run()
    assert app.success[0].value == escape_markdown(f"{BOB} is now lead.")
    assert people.annotator_by_email(BOB)["role"] == "lead"
    app.button(key="people-deactivate").click().run()
    assert not people.annotator_by_email(BOB)["active"]
    assert app.dataframe[0].value.set_index("email").loc[BOB, "active"] == "no"
    app.button(key="people-reactivate").click().run()
    assert people.annotator_by_email(BOB)["active"]


def test_the_last_admin_keeps_the_role_and_a_lead_cannot_touch_an_admin(env, people):
    add_annotator(people, "root@x.test", "admin")
    app = run_page(PEOPLE, "root@x.test", role="admin")
    app.selectbox(key="people-person").set_value("root@x.test").run()
    app.selectbox(key="people-role-root@x.test").set_value("lead")
    app.button(key="people-set-role").click().run()
    assert "the last active admin" in app.error[0].value
    assert people.annotator_by_email("root@x.test")["role"] == "admin"

    lead = run_page(PEOPLE, LEA, role="lead")
    lead.selectbox(key="people-person").set_value("root@x.test").run()
    lead.button(key="people-deactivate").click().run()
    assert "Only an admin" in lead.error[0].value
    assert people.annotator_by_email("root@x.test")["active"]


def test_nobody_can_deactivate_their_own_account_in_the_app(env, people):
    app = run_page(PEOPLE, LEA, role="lead")
    app.selectbox(key="people-person").set_value(LEA).run()
    app.button(key="people-deactivate").click().run()
    assert app.error[0].value == "You cannot deactivate your own account; ask another lead or admin."
    assert people.annotator_by_email(LEA)["active"]


def test_a_lead_cannot_change_an_admins_role_in_the_app_and_is_offered_only_what_they_may_grant(env, people):
    from annotate.review.annotators import ONLY_AN_ADMIN, grantable_roles

    add_annotator(people, "root@x.test", "admin")
    lead = run_page(PEOPLE, LEA, role="lead")
    assert tuple(lead.selectbox(key="people-add-role").options) == grantable_roles("lead")
    lead.selectbox(key="people-person").set_value("root@x.test").run()
    lead.selectbox(key="people-role-root@x.test").set_value("lead")
    lead.button(key="people-set-role").click().run()
    assert lead.error[0].value == ONLY_AN_ADMIN
    assert people.annotator_by_email("root@x.test")["role"] == "admin"
    admin = run_page(PEOPLE, "root@x.test", role="admin")
    assert tuple(admin.selectbox(key="people-add-role").options) == grantable_roles("admin")


def test_a_preference_split_shows_both_responses_and_a_pick_stores_the_choice(env, people):
    (task,) = make_tasks(people, 1, kind="preference", required=3)
    for email, choice in ((ANN, "a"), (BOB, "b"), (CYD, "tie")):
        submit(people, task, email, {"kind": "preference", "choice": choice, "rationale": f"{email} thinks {choice}"})
    app = run_page(ADJUDICATION, LEA, role="lead")
    texts = [text.value for text in app.text]
    assert "answer 0" in texts and "answer 1" in texts, "responses A and B"
    app.text_area(key=f"reason-{task}").input("B answers the question.")
    app.button(key=f"pick-{task}-{answer_of(people, task, BOB).id}").click().run()
    assert not app.exception
    (decision,) = people.adjudication_history(task)
    assert (decision.kind, decision.choice, decision.method) == ("preference", "b", "picked")


def test_a_task_decided_elsewhere_meanwhile_leaves_the_screen(env, overlap, people):
    from annotate.consensus.adjudication import adjudicate

    first, second = overlap
    app = run_page(ADJUDICATION, LEA, role="lead")
    assert app.selectbox(key="adjudicate-task").value == first
    adjudicate(people, first, LEA, verdict("unusable"), "decided from the command line")
    app.run()
    assert not app.exception
    assert app.selectbox(key="adjudicate-task").value == second
