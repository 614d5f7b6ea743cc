"""Answers that cannot be careless: the project's answer rules hold wherever an answer is written
(the Correct page, *My work*, a lead's decision, an import, a Label Studio pull), the verdict
follows the edit, a correction must pass the task's format validators, accepting a response flagged
for personal data or a refusal asks for a confirmation, and fast accepts in a row bring a notice."""

import json

import pytest

from annotate.config import AnswerRules
from annotate.consensus.adjudication import adjudicate
from annotate.errors import ReviewError
from annotate.labelstudio.configs import labeling_config
from annotate.labelstudio.pull import pulled_answer
from annotate.project import find_project
from annotate.records import CHOICES, VERDICTS
from annotate.review.annotators import add_annotator
from annotate.review.claims import edit_annotation, next_task, submit
from tests.conftest import make_tasks, run_page

ANA, LEA = "ana@x.test", "lea@x.test"
CORRECT = "annotate.ui.correction.correction_page"
CAREFUL = {"kind": "correction", "verdict": "corrected", "corrected_response": "Open Reports > Export and pick CSV.",
           "failure_categories": ["incomplete"], "severity": "minor"}  # fmt: skip
JSON_RULE = '\n[[validators]]\nname = "triage-json"\nkind = "json"\nwhen_system_contains = "Reply in JSON only"\n'


@pytest.fixture
def team(store):
    add_annotator(store, ANA)
    add_annotator(store, LEA, "lead")
    return store


def with_system_prompt(store, task: int, system: str) -> None:
    """Give the task's record a system prompt (as a log with one would have)."""
    record_id = store.task(task).record_id
    messages = [{"role": "system", "content": system}, {"role": "user", "content": "Triage: my invoice is wrong."}]
    with store.transaction():
        store.db.execute("UPDATE records SET messages = ? WHERE id = ?", [json.dumps(messages), record_id])


def flag(store, task: int, reason: str, detail: str = "planted") -> None:
    store.save_flags([(store.task(task).record_id, reason, 0.9, detail)])


def fill_in(app, task: int, *, categories=(), severity=None, rationale=""):
    if categories:
        app.multiselect(key=f"categories-{task}").set_value(list(categories))
    if severity:
        app.selectbox(key=f"severity-{task}").set_value(severity)
    if rationale:
        app.text_area(key=f"rationale-{task}").input(rationale)
    return app.button(key=f"submit-{task}").click().run()


# --- the rules, on every path ------------------------------------------------------------------


def test_the_rules_are_keyed_by_every_verdict_and_judgment():
    assert set(AnswerRules.model_fields) == set(VERDICTS) | set(CHOICES)


def test_the_correct_page_refuses_a_correction_without_category_and_severity(env, team):
    (task,) = make_tasks(team, 1)
    app = run_page(CORRECT, ANA)
    app.text_area(key=f"corrected-{task}").input("answer 0, with the missing step.").run()
    fill_in(app, task, rationale="Misses a step.")
    assert "a 'corrected' answer needs a failure category and a severity" in app.error[0].value
    assert team.annotations_of(task) == []
    fill_in(app, task, categories=["incomplete"], severity="minor")
    assert app.success[0].value.startswith("Saved")
    (stored,) = team.annotations_of(task)
    assert (stored.verdict, list(stored.failure_categories), stored.severity) == ("corrected", ["incomplete"], "minor")


def test_the_domain_refuses_a_correction_that_is_the_models_own_text_and_an_unexplained_unusable(team):
    first, second = make_tasks(team, 2)
    next_task(team, ANA)
    with pytest.raises(ReviewError, match="the corrected response is the model's own"):
        submit(team, first, ANA, {**CAREFUL, "corrected_response": "answer 0"})
    with pytest.raises(ReviewError, match="an 'unusable' answer needs a rationale or a failure category"):
        submit(team, first, ANA, {"kind": "correction", "verdict": "unusable"})
    assert team.annotations_of(first) == []
    assert submit(team, first, ANA, {"kind": "correction", "verdict": "unusable", "rationale": "Needs payroll."}).created


def test_a_projects_own_rule_applies(project, team):
    project.config_path.write_text(project.config_path.read_text() + '\n[review.rules.acceptable]\nrequire = ["rationale"]\n')
    with find_project(project.root).open_store() as store:  # the config read afresh, as each command and page run does
        (task,) = make_tasks(store, 1)
        with pytest.raises(ReviewError, match="an 'acceptable' answer needs a rationale"):
            submit(store, task, ANA, {"kind": "correction", "verdict": "acceptable"})
        assert submit(store, task, ANA, {"kind": "correction", "verdict": "acceptable", "rationale": "Right."}).created


def test_my_work_refuses_a_corrected_text_equal_to_the_models_and_edits_categories_and_severity(env, team):
    (task,) = make_tasks(team, 1)
    next_task(team, ANA)
    submit(team, task, ANA, {"kind": "correction", "verdict": "acceptable", "rationale": "fine"})
    app = run_page("annotate.ui.history.history_page", ANA)
    app.radio[0].set_value("corrected")  # the text stays the model's
    app.multiselect[0].set_value(["factual_error"])
    app.selectbox[0].set_value("major")
    app.form_submit_button[0].click().run()
    assert "the corrected response is the model's own" in app.error[0].value
    assert len(team.annotations_of(task)) == 1
    app.text_area[0].input("answer 0, but right.")
    app.form_submit_button[0].click().run()
    latest = team.annotations_of(task)[-1]
    assert (latest.verdict, latest.corrected_response, list(latest.failure_categories), latest.severity) == (
        "corrected", "answer 0, but right.", ["factual_error"], "major")


def test_my_work_edits_keep_the_rules_in_the_domain(team):
    (task,) = make_tasks(team, 1)
    next_task(team, ANA)
    first = submit(team, task, ANA, CAREFUL)
    with pytest.raises(ReviewError, match="needs a failure category and a severity"):
        edit_annotation(team, first.annotation_id, ANA, {**CAREFUL, "failure_categories": [], "severity": None})


def test_a_lead_decision_meets_the_rules_and_its_reason_counts_as_a_rationale(team):
    (task,) = make_tasks(team, 1)
    with pytest.raises(ReviewError, match="needs a failure category and a severity"):
        adjudicate(team, task, LEA, {**CAREFUL, "severity": None, "failure_categories": []}, "the steps were missing", "written")
    with pytest.raises(ReviewError, match="the corrected response is the model's own"):
        adjudicate(team, task, LEA, {**CAREFUL, "corrected_response": "answer 0"}, "it is fine", "written")
    assert adjudicate(team, task, LEA, {"kind": "correction", "verdict": "unusable"}, "nobody can answer this", "written")


def test_an_import_rejects_a_careless_line_with_its_number_and_reason(team, project, cli, tmp_path):
    first, second = make_tasks(team, 2)
    lines = [{"task": first, "annotator": ANA, "answer": CAREFUL},
             {"task": second, "annotator": ANA, "answer": {**CAREFUL, "severity": None}}]  # fmt: skip
    path = tmp_path / "vendor.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = cli("annotations", "import", str(path), "--rejects", str(tmp_path / "r.jsonl"))
    assert result.exit_code == 3, result.output
    (reject,) = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert reject["line"] == 2 and reject["field"] == "answer" and "a 'corrected' answer needs a severity" in reject["reason"]
    assert len(team.annotations_of(first)) == 1 and team.annotations_of(second) == []


def _ls_result(categories: list[str], severity: str | None) -> dict:
    result = [{"from_name": "verdict", "to_name": "response", "type": "choices", "value": {"choices": ["corrected"]}},
              {"from_name": "correction", "to_name": "response", "type": "textarea", "value": {"text": ["A fixed answer."]}}]
    if categories:
        result.append({"from_name": "failure_categories", "to_name": "response", "type": "choices", "value": {"choices": categories}})
    if severity:
        result.append({"from_name": "severity", "to_name": "response", "type": "choices", "value": {"choices": [severity]}})
    return {"result": result, "lead_time": 20.0}


def test_a_pulled_label_studio_correction_without_category_is_a_problem_not_an_answer(team, project):
    (task,) = make_tasks(team, 1, route="labelstudio")
    row = {"kind": "correction", "record_id": team.task(task).record_id, "record_b_id": None}
    config = labeling_config("correction", project.config.taxonomy)
    answer, problems = pulled_answer(team, row, {"response": "answer 0"}, _ls_result([], None), config, project.config.taxonomy)
    assert answer is None and problems == ["a 'corrected' answer needs a failure category and a severity"]
    answer, problems = pulled_answer(team, row, {"response": "answer 0"}, _ls_result(["incomplete"], "minor"), config,
                                     project.config.taxonomy)  # fmt: skip
    assert problems == [] and answer.corrected_response == "A fixed answer."


# --- the verdict follows the edit ----------------------------------------------------------------


def test_the_verdict_follows_the_edit_and_returns_when_the_text_does(env, team):
    (task,) = make_tasks(team, 1)
    app = run_page(CORRECT, ANA)
    assert app.radio(key=f"verdict-{task}").value == "acceptable"
    app.text_area(key=f"corrected-{task}").input("answer 0, corrected").run()
    assert app.radio(key=f"verdict-{task}").value == "corrected"
    app.text_area(key=f"corrected-{task}").input("answer 0").run()
    assert app.radio(key=f"verdict-{task}").value == "acceptable"
    app.radio(key=f"verdict-{task}").set_value("unusable").run()
    app.text_area(key=f"corrected-{task}").input("answer 0 again, changed").run()
    assert app.radio(key=f"verdict-{task}").value == "unusable", "an expert's 'Unusable' stands"


def test_the_verdict_follows_an_edit_of_a_tool_call(env, team):
    from tests.test_review_tool_calls import tool_task

    task = tool_task(team)
    app = run_page(CORRECT, ANA)
    app.text_area(key=f"call-arguments-{task}-0").input('{"city": "Lyon", "unit": "fahrenheit"}').run()
    assert app.radio(key=f"verdict-{task}").value == "corrected"
    app.text_area(key=f"call-arguments-{task}-0").input('{"city":"Lyon","unit":"celsius"}').run()
    assert app.radio(key=f"verdict-{task}").value == "acceptable", "the model's call again, spaced another way"


# --- format checks -------------------------------------------------------------------------------


def test_a_prose_correction_to_a_json_only_task_is_flagged_as_typed_and_refused(env, project, team):
    project.config_path.write_text(project.config_path.read_text() + JSON_RULE)
    (task,) = make_tasks(team, 1)
    with_system_prompt(team, task, "You are a triage assistant. Reply in JSON only.")
    app = run_page(CORRECT, ANA)
    assert "Fails the format check: triage-json: not valid JSON" in app.warning[0].value.replace("\\", "")
    app.text_area(key=f"corrected-{task}").input("Your invoice is wrong; I have sent it to billing.").run()
    fill_in(app, task, categories=["format_violation"], severity="major")
    assert "fails the format check triage-json: not valid JSON" in app.error[0].value.replace("\\", "")
    assert team.annotations_of(task) == []
    app.text_area(key=f"corrected-{task}").input('{"queue": "billing", "urgent": false}').run()
    assert any("Passes the format check for this task: triage-json" in c.value.replace("\\", "") for c in app.caption)
    fill_in(app, task)
    assert [a.corrected_response for a in team.annotations_of(task)] == ['{"queue": "billing", "urgent": false}']


# --- care before accepting -------------------------------------------------------------------------


@pytest.mark.parametrize("reason, detail, said", [
    ("pii", "EMAIL_ADDRESS", "personal data in the response"),
    ("refusal", "refused: I can't help", "the model refused"),
    ("format", "unexpected-refusal: refused a legitimate request", "the model refused"),
])  # fmt: skip
def test_accepting_a_response_flagged_for_personal_data_or_a_refusal_asks_for_a_confirmation(env, team, reason, detail, said):
    (task,) = make_tasks(team, 1)
    flag(team, task, reason, detail)
    app = run_page(CORRECT, ANA)
    app.button(key=f"submit-{task}").click().run()
    assert said in app.warning[0].value and team.annotations_of(task) == []
    app.checkbox(key=f"confirm-{task}").check()
    app.button(key=f"submit-{task}").click().run()
    assert [a.verdict for a in team.annotations_of(task)] == ["acceptable"]


def test_accepting_an_unflagged_response_needs_no_confirmation(env, team):
    (task,) = make_tasks(team, 1)
    flag(team, task, "low_confidence")
    app = run_page(CORRECT, ANA)
    app.button(key=f"submit-{task}").click().run()
    assert [a.verdict for a in team.annotations_of(task)] == ["acceptable"] and not app.checkbox


def _accept(store, task: int, seconds: float) -> None:
    next_task(store, ANA)
    submit(store, task, ANA, {"kind": "correction", "verdict": "acceptable", "seconds_spent": seconds})


def test_five_flagged_responses_accepted_fast_in_a_row_bring_a_gentle_notice(env, team):
    tasks = make_tasks(team, 7)
    for task in tasks:
        flag(team, task, "negative_feedback")
    for task in tasks[:4]:
        _accept(team, task, 2.0)
    assert not run_page(CORRECT, ANA).info, "four is not yet a streak"
    _accept(team, tasks[4], 2.5)
    notice = run_page(CORRECT, ANA).info[0].value
    assert "You accepted 5 flagged responses in a row in under 8 s each" in notice
    _accept(team, tasks[5], 40.0)
    assert not run_page(CORRECT, ANA).info, "a careful look ends the streak"
