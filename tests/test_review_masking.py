"""`[pii] in_review = "mask"`: experts see placeholders, never the customers' data, and what they
write back is stored with the real values (the placeholders never reach the stored answer)."""

from __future__ import annotations

import pytest

from annotate.ingest.rows import to_row
from annotate.project import Project
from annotate.records import RecordIn
from annotate.review.annotators import add_annotator
from annotate.review.claims import edit_annotation, history, next_task, submit
from tests.conftest import EXPERT, run_page

PROMPT = "Hi, I'm on 415-555-0134 or ana.lopez@example.com; my card 4111 1111 1111 1111 was charged twice."
RESPONSE = "We will call 415-555-0134 today and email ana.lopez@example.com a receipt."


def _masked_project(project: Project, mode: str = "mask") -> Project:
    config = project.root / "flywheel.toml"
    config.write_text(config.read_text().replace('in_review = "show"', f'in_review = "{mode}"'))
    assert f'in_review = "{mode}"' in config.read_text()
    return Project(root=project.root, db_path=project.db_path)  # a fresh config read


def _task(store, kind: str = "correction") -> int:
    round_id = store.open_round()["id"]
    ids = []
    for number, response in enumerate((RESPONSE, "Call 212-555-0199 instead.")[: 2 if kind == "preference" else 1]):
        row = to_row(RecordIn(id=f"r{number}", messages=[{"role": "user", "content": PROMPT}], response=response),
                     source="test", round_id=round_id, ingest_id=None)  # fmt: skip
        with store.transaction():
            store.insert_new_records([row])
        ids.append(row[0])
    (task,) = store.insert_tasks([{
        "kind": kind, "record_id": ids[0], "record_b_id": ids[1] if kind == "preference" else None, "origin": "test",
        "priority": 1.0, "why": "", "cluster": None, "required_annotations": 1, "is_gold": 0, "gold_answer": None,
        "route": "app", "round_id": round_id,
    }])  # fmt: skip
    return task


def test_an_expert_sees_placeholders_and_the_stored_answer_holds_the_real_values(project):
    masked = _masked_project(project)
    with masked.open_store() as store:
        add_annotator(store, EXPERT)
        task = _task(store)
        view = next_task(store, EXPERT)
        shown = " ".join([view.messages[0]["content"], view.response])
        assert view.masked and "415-555-0134" not in shown and "ana.lopez@example.com" not in shown and "4111" not in shown
        assert view.messages[0]["content"] == ("Hi, I'm on <PHONE_NUMBER_1> or <EMAIL_ADDRESS_1>; my card <CREDIT_CARD_1> "
                                               "was charged twice.")  # fmt: skip
        assert view.response == "We will call <PHONE_NUMBER_1> today and email <EMAIL_ADDRESS_1> a receipt."
        corrected = "I'm sorry: we refunded the second charge on <CREDIT_CARD_1> and emailed <EMAIL_ADDRESS_1>. <UNKNOWN_7> stays."
        submit(store, task, EXPERT, {"kind": "correction", "verdict": "corrected", "corrected_response": corrected, "failure_categories": ["incomplete"], "severity": "minor", 
                                     "rationale": "Refund, not a call to <PHONE_NUMBER_1>."})  # fmt: skip
        (stored,) = store.annotations_of(task)
        assert stored.corrected_response == ("I'm sorry: we refunded the second charge on 4111 1111 1111 1111 and emailed "
                                             "ana.lopez@example.com. <UNKNOWN_7> stays.")  # fmt: skip
        assert stored.rationale == "Refund, not a call to 415-555-0134."

        (entry,) = history(store, EXPERT)
        assert "ana.lopez@example.com" not in entry.annotation.corrected_response + entry.messages[0]["content"]
        assert "<EMAIL_ADDRESS_1>" in entry.annotation.corrected_response
        assert history(store, EXPERT, search="ana.lopez") == [], "a search cannot find masked data"
        edit_annotation(store, stored.id, EXPERT, {**entry.annotation.answer, "corrected_response": "Emailed <EMAIL_ADDRESS_1>."})
        assert store.annotations_of(task)[-1].corrected_response == "Emailed ana.lopez@example.com."


def test_a_comparison_and_its_better_answer_are_masked_and_unmasked_alike(project):
    masked = _masked_project(project)
    with masked.open_store() as store:
        add_annotator(store, EXPERT)
        task = _task(store, "preference")
        view = next_task(store, EXPERT, "preference")
        assert "212-555-0199" not in (view.response_a or "") + (view.response_b or "")
        better = next(text for text in (view.response_a, view.response_b) if "<PHONE_NUMBER_2>" in text)
        submit(store, task, EXPERT, {"kind": "preference", "choice": "a", "better_response": better + " Thanks."})
        (stored,) = store.annotations_of(task)
        assert stored.answer["better_response"] == "Call 212-555-0199 instead. Thanks."


@pytest.mark.parametrize("mode", ["show", "mask"])
def test_the_correction_page_shows_data_only_when_the_project_says_show(project, env, mode):
    masked = _masked_project(project, mode)
    with masked.open_store() as store:
        add_annotator(store, EXPERT)
        _task(store)
    app = run_page("annotate.ui.correction.correction_page", EXPERT)
    assert not app.exception
    shown = " ".join(str(element.value) for element in app.text) + app.text_area[0].value
    assert ("ana.lopez@example.com" in shown) == (mode == "show")
    assert ("<EMAIL_ADDRESS_1>" in app.text_area[0].value) == (mode == "mask")
    assert any("placeholders" in info.value for info in app.info) == (mode == "mask")
