"""The lead's queue holds every disagreement: conflicts the export finds (those between production
feedback too), low-agreement decisions with their reason; the Adjudicate page searches, filters
and orders it; a lead is not claimed into Correct before asking."""

from __future__ import annotations

import pytest

from annotate.consensus.adjudication import adjudication_queue
from annotate.consensus.conflicts import waiting_conflicts
from annotate.consensus.lead_queue import QueueFilter, feedback_conflicts, filter_queue
from annotate.ingest.rows import to_row
from annotate.records import RecordIn
from annotate.review.annotators import add_annotator
from annotate.review.claims import submit
from tests.conftest import EXPERT, OTHER, make_tasks, run_page
from tests.test_conflict_queue import ANSWERS, LEAD, conflicting  # noqa: F401 (a fixture)

ADJUDICATION = "annotate.ui.adjudication.adjudication_page"
EXPORT = "annotate.ui.export.export_page"
THIRD = "cy@x.test"
ACCEPT = {"kind": "correction", "verdict": "acceptable"}
CORRECT = {"kind": "correction", "verdict": "corrected", "failure_categories": ["incomplete"], "severity": "minor",
           "corrected_response": "Open Settings > Billing and choose Download invoice."}  # fmt: skip


def _thumbs_up(store, pairs: list[tuple[str, str]]) -> None:
    """Production records users rated up, no task on them."""
    round_id = store.open_round()["id"]
    rows = [to_row(RecordIn(id=f"fb-{n}", messages=[{"role": "user", "content": prompt}], response=response,
                            feedback={"thumbs": "up"}), source="test", round_id=round_id, ingest_id=None)
            for n, (prompt, response) in enumerate(pairs)]  # fmt: skip
    with store.transaction():
        store.insert_new_records(rows)


@pytest.fixture
def feedback_conflict(store):
    """Two thumbs-up production answers to one question that contradict each other (no task)."""
    _thumbs_up(store, [("Can I delete a sent invoice in Ledgerly?", "Yes, you can delete a sent invoice from the list."),
                       ("Can I delete a sent invoice in Ledgerly ?", "No, you cannot delete a sent invoice from the list.")])  # fmt: skip


def test_every_conflict_an_export_preview_finds_reaches_the_adjudicate_page(env, store, conflicting, feedback_conflict, cli):
    first, second, _other = conflicting
    engineer = run_page(EXPORT, "eng@x.test", role="engineer")
    engineer.selectbox(key="export-kind").set_value("kto").run()
    engineer.button(key="export-preview-button").click().run()
    assert not engineer.exception
    waiting = waiting_conflicts(store)
    said = " ".join(caption.value for caption in engineer.caption)
    assert f"**{len(waiting):,} conflicts wait**" in said and len(waiting) == 2  # the tasks' and the feedback's
    [feedback] = feedback_conflicts(store)
    assert feedback.conflict.task_ids == () and {example.thumbs for example in feedback.examples} == {"up"}

    lead = run_page(ADJUDICATION, LEAD, role="lead")
    assert not lead.exception
    assert sorted(lead.dataframe[0].value["task"]) == [first, second]  # the tasks' conflict, by task
    assert any("Conflicts in production feedback (1)" in expander.label for expander in lead.expander)
    texts = [text.value for text in lead.text]
    assert "No, you cannot delete a sent invoice from the list." in texts  # the lead sees both answers
    listed = cli("adjudicate", "list")
    assert "Conflicts in production feedback" in listed.output and str(feedback.conflict.id) in listed.output

    lead.text_input(key=f"dismiss-reason-{feedback.conflict.id}").input("Deleting differs for drafts")
    lead.button(key=f"dismiss-{feedback.conflict.id}-button").click().run()
    assert not lead.exception and feedback_conflicts(store) == []
    assert not any("Conflicts in production feedback" in expander.label for expander in lead.expander)


@pytest.fixture
def split_three(store):
    """Three tasks answered by three annotators: unanimous, 2 of 3, and one each."""
    for email in (EXPERT, OTHER, THIRD, LEAD):
        add_annotator(store, email, "lead" if email == LEAD else "annotator")
    unanimous, thin, split = make_tasks(store, 3, required=3, texts=lambda n: (f"How do I file VAT return {n}?", f"answer {n}"))
    for email in (EXPERT, OTHER, THIRD):
        submit(store, unanimous, email, ACCEPT)
    for email, answer in ((EXPERT, ACCEPT), (OTHER, ACCEPT), (THIRD, CORRECT)):
        submit(store, thin, email, answer)
    for email, answer in ((EXPERT, ACCEPT), (OTHER, CORRECT), (THIRD, {"kind": "correction", "verdict": "unusable", "rationale": "Cannot judge."})):
        submit(store, split, email, answer)
    return unanimous, thin, split


def test_a_thin_majority_waits_in_the_queue_as_low_agreement_with_its_reason(store, project, split_three):
    unanimous, thin, split = split_three
    queue = adjudication_queue(store, project.config).set_index("task_id")
    assert unanimous not in queue.index
    assert queue.loc[thin, "reason_kind"] == "low_agreement" and queue.loc[split, "reason_kind"] == "disagreement"
    assert queue.loc[thin, "reason"].startswith("low agreement: 67% of 3 answers say 'acceptable'")
    assert queue.loc[thin, "agreement"] == pytest.approx(2 / 3) and queue.loc[split, "agreement"] == pytest.approx(1 / 3)


def test_the_low_agreement_bar_comes_from_the_config(store, project, split_three):
    _unanimous, thin, split = split_three
    config = project.config.model_copy(update={"resolution": project.config.resolution.model_copy(update={"low_agreement_below": 0.6})})
    assert adjudication_queue(store, config)["task_id"].tolist() == [split]


def test_the_queue_is_searched_filtered_and_ordered(store, project, split_three):
    _unanimous, thin, split = split_three
    queue = adjudication_queue(store, project.config)
    assert filter_queue(queue, QueueFilter(reason_kinds=("low_agreement",)))["task_id"].tolist() == [thin]
    assert filter_queue(queue, QueueFilter(search=f"#{split}"))["task_id"].tolist() == [split]
    assert filter_queue(queue, QueueFilter(search="vat return 1"))["task_id"].tolist() == [thin]
    assert filter_queue(queue, QueueFilter(sort="lowest_agreement"))["task_id"].tolist() == [split, thin]
    assert filter_queue(queue, QueueFilter(kinds=("preference",))).empty
    assert filter_queue(queue, QueueFilter(rounds=("round-1",), task_ids=(thin,)))["task_id"].tolist() == [thin]


def test_the_adjudicate_page_filters_the_queue_by_reason_and_orders_it(env, store, split_three):
    _unanimous, thin, split = split_three
    app = run_page(ADJUDICATION, LEAD, role="lead")
    shown = app.dataframe[0].value
    assert set(shown["reason"]) == {"Low agreement", "Answers split"} and "reason_kind" not in shown.columns
    app.multiselect(key="adjudicate-reasons").set_value(["low_agreement"]).run()
    assert app.dataframe[0].value["task"].tolist() == [thin]
    assert app.selectbox(key="adjudicate-task").value == thin
    app.multiselect(key="adjudicate-reasons").set_value([]).run()
    app.selectbox(key="adjudicate-sort").set_value("lowest_agreement").run()
    assert app.dataframe[0].value["task"].tolist() == [split, thin]
    app.text_input(key="adjudicate-search").input("no such words").run()
    assert "No task in the queue matches" in app.info[0].value and not app.exception


def test_answer_cards_name_each_person_once_and_diff_the_correction(env, store, split_three):
    _unanimous, _thin, split = split_three
    app = run_page(ADJUDICATION, LEAD, role="lead")
    app.selectbox(key="adjudicate-task").set_value(split).run()
    markdown = " ".join(item.value for item in [*app.markdown, *app.caption])
    assert markdown.count(OTHER.replace("@", "@\u2060")) == 1
    assert ":green[**Open Settings" in markdown  # the corrected text against the model's response


def test_a_lead_on_correct_claims_nothing_until_asking(env, store):
    add_annotator(store, LEAD, "lead")
    make_tasks(store, 2)
    app = run_page("annotate.ui.correction.correction_page", LEAD, role="lead")
    assert not app.exception and store.db["claims"].count == 0
    assert app.button(key="start-correction").label == "Start correcting"
    app.run()  # a visit again: still nothing held
    assert store.db["claims"].count == 0
    app.button(key="start-correction").click().run()
    assert store.db["claims"].count == 1 and app.text_area  # the task and its answer box


def test_an_annotator_on_correct_gets_a_task_straight_away(env, store):
    add_annotator(store, EXPERT)
    make_tasks(store, 1)
    app = run_page("annotate.ui.correction.correction_page", EXPERT)
    assert not app.exception and store.db["claims"].count == 1
    assert "Start correcting" not in [button.label for button in app.button]
