"""Claims and submissions: the rules that keep experts from losing or overwriting each other's work."""

import pytest

from annotate.errors import AnnotatorError, ClaimLost, ReviewError
from annotate.records import CorrectionAnswer
from annotate.review.annotators import add_annotator
from annotate.review.claims import next_task, release, submit
from tests.conftest import make_tasks

ACCEPT = {"kind": "correction", "verdict": "acceptable"}
FIX = {"kind": "correction", "verdict": "corrected", "corrected_response": "Better.", "failure_categories": ["factual_error"], "severity": "major"}


@pytest.fixture
def experts(store):
    for email in ("ana@example.com", "ben@example.com", "cy@example.com"):
        add_annotator(store, email)
    return "ana@example.com", "ben@example.com", "cy@example.com"


def expire_claims_of(store, task_id):
    """Move every active lease on the task into the past (as if the expert walked away)."""
    with store.transaction():
        store.db.execute("UPDATE claims SET expires_at = '2000-01-01T00:00:00.000+00:00' WHERE task_id = ? AND outcome = 'active'", [task_id])


def test_next_task_gives_the_highest_priority_slot_and_claims_it(store, experts):
    first, second = make_tasks(store, 2)
    view = next_task(store, experts[0])
    assert view.task_id == first
    assert view.kind == "correction" and view.response == "answer 0"
    assert view.messages == [{"role": "user", "content": "question 0"}]
    assert store.task(first).active_claims == 1


def test_two_experts_never_get_the_same_single_slot(store, experts):
    first, second = make_tasks(store, 2)
    assert next_task(store, experts[0]).task_id == first
    assert next_task(store, experts[1]).task_id == second
    assert next_task(store, experts[2]) is None


def test_overlap_gives_one_task_to_several_experts_but_never_twice_to_one(store, experts):
    (task,) = make_tasks(store, 1, required=2)
    assert next_task(store, experts[0]).task_id == task
    assert next_task(store, experts[1]).task_id == task
    assert next_task(store, experts[2]) is None
    submit(store, task, experts[0], ACCEPT)
    assert next_task(store, experts[0]) is None, "an expert who answered is not offered the task again"


def test_a_reload_gives_back_the_task_already_held(store, experts):
    first, _ = make_tasks(store, 2)
    assert next_task(store, experts[0]).task_id == first
    assert next_task(store, experts[0]).task_id == first
    assert store.task(first).active_claims == 1


def test_submit_stores_the_answer_and_completes_the_task_when_overlap_is_met(store, experts):
    (task,) = make_tasks(store, 1, required=2)
    for expert in experts[:2]:
        next_task(store, expert)
        submission = submit(store, task, expert, FIX)
        assert submission.created
    row = store.task(task)
    assert (row.done_annotations, row.active_claims, row.status) == (2, 0, "done")
    annotations = store.annotations_of(task)
    assert [a.verdict for a in annotations] == ["corrected", "corrected"]
    assert annotations[0].corrected_response == "Better." and annotations[0].severity == "major"


def test_a_double_submit_stores_one_annotation(store, experts):
    (task,) = make_tasks(store, 1)
    next_task(store, experts[0])
    first = submit(store, task, experts[0], FIX)
    again = submit(store, task, experts[0], FIX)
    assert again.annotation_id == first.annotation_id and not again.created
    assert len(store.annotations_of(task)) == 1
    assert store.task(task).done_annotations == 1


def test_an_expired_lease_cannot_submit_over_someone_elses_claim(store, experts):
    (task,) = make_tasks(store, 1)
    next_task(store, experts[0])
    expire_claims_of(store, task)
    assert next_task(store, experts[1]).task_id == task, "the lapsed slot returned to the queue"
    with pytest.raises(ClaimLost, match="another expert has taken its last slot"):
        submit(store, task, experts[0], FIX)
    assert store.annotations_of(task) == []
    submit(store, task, experts[1], FIX)
    assert store.task(task).status == "done"


def test_an_expired_lease_still_submits_while_the_slot_is_free(store, experts):
    (task,) = make_tasks(store, 1)
    next_task(store, experts[0])
    expire_claims_of(store, task)
    assert submit(store, task, experts[0], ACCEPT).created
    assert store.task(task).status == "done"


def test_release_returns_the_slot_and_the_skipper_is_not_offered_it_again(store, experts):
    first, second = make_tasks(store, 2)
    assert next_task(store, experts[0]).task_id == first
    assert release(store, first, experts[0], "needs a payroll expert")
    assert store.task(first).active_claims == 0
    assert next_task(store, experts[0]).task_id == second
    assert next_task(store, experts[1]).task_id == first
    assert not release(store, first, experts[0], "again"), "nothing held, nothing released"


def test_answers_are_checked_against_the_task_kind_and_taxonomy(store, experts):
    (task,) = make_tasks(store, 1)
    next_task(store, experts[0])
    with pytest.raises(ReviewError, match="unknown failure category made_up"):
        submit(store, task, experts[0], {**FIX, "failure_categories": ["made_up"]})
    with pytest.raises(ReviewError, match="unknown severity 'apocalyptic'"):
        submit(store, task, experts[0], {**FIX, "severity": "apocalyptic"})
    with pytest.raises(ReviewError, match="a preference answer does not fit a correction task"):
        submit(store, task, experts[0], {"kind": "preference", "choice": "a"})
    with pytest.raises(ReviewError, match="corrected_response|needs the corrected response"):
        submit(store, task, experts[0], {"kind": "correction", "verdict": "corrected"})
    assert store.annotations_of(task) == []
    assert submit(store, task, experts[0], CorrectionAnswer(verdict="unusable", rationale="Cannot judge billing.")).created


def test_the_project_taxonomy_is_the_one_applied(project, experts, store):
    config = project.config_path.read_text().replace('severity = ["minor", "major", "critical"]', 'severity = ["low", "high"]')
    project.config_path.write_text(config)
    from annotate.project import find_project

    with find_project(project.root).open_store() as reopened:
        (task,) = make_tasks(reopened, 1)
        next_task(reopened, experts[0])
        with pytest.raises(ReviewError, match="the scale is low, high"):
            submit(reopened, task, experts[0], {**FIX, "severity": "major"})


def test_only_registered_active_annotators_can_claim(store):
    make_tasks(store, 1)
    with pytest.raises(AnnotatorError, match="ask your lead to add you"):
        next_task(store, "stranger@example.com")


def test_preference_tasks_show_two_responses_and_nothing_that_identifies_them(store, experts):
    (task,) = make_tasks(store, 1, kind="preference")
    view = next_task(store, experts[0], kind="preference")
    assert view.task_id == task and view.response is None
    assert {view.response_a, view.response_b} == {"answer 0", "answer 1"}
    assert not any(hasattr(view, name) for name in ("is_gold", "gold_answer", "record_id", "model"))
    submit(store, task, experts[0], {"kind": "preference", "choice": "b", "better_response": "Best."})
    (annotation,) = store.annotations_of(task)
    assert (annotation.choice, annotation.corrected_response) == ("b", "Best.")


def test_gold_tasks_look_like_any_other(store, experts):
    (task,) = make_tasks(store, 1, gold_answer=CorrectionAnswer(verdict="acceptable").model_dump_json())
    view = next_task(store, experts[0])
    assert view.task_id == task
    assert "gold" not in repr(view).lower()


def test_kind_filter_and_route(store, experts):
    make_tasks(store, 1, route="labelstudio")
    (preference,) = make_tasks(store, 1, kind="preference")
    assert next_task(store, experts[0], kind="correction") is None, "labelstudio tasks are not offered in the app"
    assert next_task(store, experts[0], kind="preference").task_id == preference


def test_progress_counts_todays_work_and_caps_the_queue_count(store, experts, monkeypatch):
    import annotate.review.claims as review

    first, *_ = make_tasks(store, 5)
    next_task(store, experts[0])
    submit(store, first, experts[0], ACCEPT)
    progress = review.progress_of(store, experts[0])
    assert (progress.done_today, progress.open_label()) == (1, "4")
    monkeypatch.setattr(review, "PROGRESS_CAP", 3)
    assert review.progress_of(store, experts[0]).open_label() == "3+"


# --- who may answer: rules in the domain, whoever calls -------------------------------------------

FIXED = {"kind": "correction", "verdict": "corrected", "corrected_response": "Open Settings > Users.", "failure_categories": ["incomplete"], "severity": "minor"}


def test_an_engineer_neither_claims_nor_submits(store):
    from annotate.errors import NotAllowed

    add_annotator(store, "eng@example.com", role="engineer")
    (task,) = make_tasks(store, 1)
    with pytest.raises(NotAllowed, match="only annotator, lead, admins answer tasks"):
        next_task(store, "eng@example.com")
    with pytest.raises(NotAllowed):
        submit(store, task, "eng@example.com", FIXED)
    assert store.annotations_of(task) == [] and store.task(task).active_claims == 0


def test_an_expert_who_skipped_a_task_cannot_answer_it_afterwards(store):
    from annotate.errors import NotAllowed

    add_annotator(store, "ana@example.com")
    (task,) = make_tasks(store, 1, required=2)
    assert next_task(store, "ana@example.com").task_id == task
    assert release(store, task, "ana@example.com", "not my area")
    with pytest.raises(NotAllowed, match="you skipped task"):
        submit(store, task, "ana@example.com", FIXED)
    assert store.annotations_of(task) == [] and store.task(task).done_annotations == 0


def test_a_task_routed_to_label_studio_is_not_answered_through_the_app(store):
    from annotate.errors import NotAllowed

    add_annotator(store, "ana@example.com")
    (task,) = make_tasks(store, 1, route="labelstudio")
    with pytest.raises(NotAllowed, match="routed to labelstudio"):
        submit(store, task, "ana@example.com", FIXED)
    assert store.annotations_of(task) == []
