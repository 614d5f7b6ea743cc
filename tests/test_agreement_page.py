"""The Agreement page as a lead reads it: one field's chart whole, similarity apart from alphas,
one week said in words, the kappa selector off an empty field, small samples flagged, human
labels, and a click from a figure to the tasks behind it on Adjudicate."""

from __future__ import annotations

import json

import pytest

from annotate.consensus.agreement_tasks import disagreeing_tasks
from annotate.consensus.answer_table import AnswerFilter
from annotate.project import find_project
from annotate.review.annotators import add_annotator
from annotate.review.claims import submit
from annotate.ui.adjudication_filters import PRESET_KEY
from tests.conftest import make_tasks, run_page, signed_in

AGREEMENT = "annotate.ui.agreement.agreement_page"
ADJUDICATION = "annotate.ui.adjudication.adjudication_page"
ANN, BOB, CYD, LEA = "ann@x.test", "bob@x.test", "cyd@x.test", "lea@x.test"


def verdict(value: str, text: str | None = None) -> dict:
    """An answer as the default answer rules ask: an unusable one says why."""
    return {"kind": "correction", "verdict": value, "corrected_response": text,
            **({"rationale": "Cannot judge."} if value == "unusable" else {})}


@pytest.fixture
def one_field(store, project):
    """12 correction tasks three annotators answered (cyd differs on every third): verdict is the
    one field with an alpha; two more tasks ann and bob corrected in different words (a project
    whose rules let a correction go without category or severity, so no other field has values)."""
    config = project.config_path.read_text()
    project.config_path.write_text(config.replace('require = ["categories", "severity"]', "require = []"))
    find_project(project.root).open_store().close()  # the store is told the project's rules afresh
    for email in (ANN, BOB, CYD):
        add_annotator(store, email)
    add_annotator(store, LEA, "lead")
    tasks = make_tasks(store, 12, required=3)
    for number, task in enumerate(tasks):
        base = "acceptable" if number % 2 else "unusable"
        other = "unusable" if base == "acceptable" else "acceptable"
        for email, value in ((ANN, base), (BOB, base), (CYD, other if number % 3 == 0 else base)):
            submit(store, task, email, verdict(value))
    for task in make_tasks(store, 2, required=2):
        for email, text in ((ANN, "Open Settings, then Billing, then Download."), (BOB, "Ask support to email you the invoice PDF.")):
            submit(store, task, email, {"kind": "correction", "verdict": "corrected", "corrected_response": text})
    return tasks


def _charts(app) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("vega_lite_chart")]


def _rendered(app) -> str:
    parts = [str(item.value) for item in [*app.markdown, *app.caption, *app.warning, *app.info]]
    for frame in app.dataframe:
        parts += [str(column) for column in frame.value.columns] + frame.value.astype(str).to_numpy().ravel().tolist()
    return " ".join(map(str, parts))


def test_one_fields_chart_keeps_its_label_and_labelled_guides(env, one_field):
    app = run_page(AGREEMENT, LEA, role="lead")
    assert not app.exception
    fields = app.dataframe[0].value.dropna(subset=["value"])
    assert fields["field"].tolist() == ["Verdict", "Corrected text (similarity)"]  # one alpha, one similarity
    alpha_chart = _charts(app)[0]
    text = json.dumps(alpha_chart)
    assert alpha_chart["height"] >= 120 and '"labelLimit": 360' in text
    marks = [layer["mark"]["type"] for layer in alpha_chart["layer"]]
    assert marks[:2] == ["rule", "text"] and "Krippendorff's alpha" in text  # the guides, labelled
    guide = alpha_chart["layer"][0]["encoding"]
    assert guide["y"] == {"value": 0} and guide["y2"] == {"value": alpha_chart["height"]}  # the whole height


def test_text_similarity_has_its_own_chart_and_axis(env, one_field):
    app = run_page(AGREEMENT, LEA, role="lead")
    first, second = (json.dumps(spec) for spec in _charts(app)[:2])
    assert "Mean similarity of the corrected texts (0 to 1)" in second and "Krippendorff" not in second
    assert "Krippendorff's alpha" in first and "similarity" not in first


def test_a_single_week_is_said_in_words_not_drawn_as_a_dot(env, one_field):
    app = run_page(AGREEMENT, LEA, role="lead")
    assert any(markdown.value.startswith("One week so far") for markdown in app.markdown)
    assert not any("ISO week" in json.dumps(spec) for spec in _charts(app))


def test_the_kappa_selector_moves_off_a_field_with_too_few_items(env, one_field):
    app = run_page(AGREEMENT, LEA, role="lead")
    app.selectbox(key="agreement-kappa-field").set_value("severity").run()
    assert app.selectbox(key="agreement-kappa-field").value == "verdict"


def test_small_samples_are_flagged_and_no_internal_name_is_shown(env, one_field):
    app = run_page(AGREEMENT, LEA, role="lead")
    shown = _rendered(app)
    assert "Verdict: 0.67, based on 14 items" in shown
    assert "Krippendorff's alpha (nominal)" in shown
    for raw in ("krippendorff_alpha_nominal", "alpha_nominal", "text_similarity", "n_items"):
        assert raw not in shown


def test_a_click_from_a_field_opens_its_disagreements_on_adjudicate(env, store, project, one_field):
    behind = disagreeing_tasks(store, project.config, AnswerFilter(), "verdict")
    assert behind == [one_field[number] for number in (0, 3, 6, 9)]  # where cyd differs
    app = run_page(AGREEMENT, LEA, role="lead")
    app.selectbox(key="agreement-behind-field").set_value("verdict").run()
    assert not any("disagreements on" in item.value for item in app.markdown)  # read only when asked
    app.toggle(key="agreement-behind-field-list").set_value(True).run()
    assert any(f"4 tasks with the disagreements on Verdict: #{behind[0]}" in item.value for item in app.markdown)
    app.button(key="agreement-behind-field-open").click().run()
    assert not app.exception and app.session_state[PRESET_KEY]["task_ids"] == behind

    lead = signed_in(run_page(ADJUDICATION, LEA, role="lead"), LEA, "lead")
    lead.session_state[PRESET_KEY] = app.session_state[PRESET_KEY]
    lead.run()
    assert "Showing the tasks behind the disagreements on Verdict \\(4\\)" in lead.info[0].value
    assert sorted(lead.dataframe[0].value["task"]) == behind  # thin 2-of-3 majorities, each with its reason
    assert set(lead.dataframe[0].value["reason"]) == {"Low agreement"}
    lead.button(key="adjudicate-clear-preset").click().run()
    assert len(lead.dataframe[0].value) > len(behind)


def test_a_pairs_kappa_leads_to_the_tasks_they_disagree_on(env, store, project, one_field):
    app = run_page(AGREEMENT, LEA, role="lead")
    app.selectbox(key="agreement-pair-a").set_value(ANN).run()
    app.selectbox(key="agreement-pair-b").set_value(BOB)
    app.toggle(key="agreement-pair-list").set_value(True).run()
    assert any("No task in this selection has ann@" in item.value for item in app.markdown)  # they always agree
    app.selectbox(key="agreement-pair-b").set_value(CYD).run()
    app.button(key="agreement-pair-open").click().run()
    assert app.session_state[PRESET_KEY]["task_ids"] == [one_field[number] for number in (0, 3, 6, 9)]

