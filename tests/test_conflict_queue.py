"""Conflicts the export finds wait in the lead's queue: `flywheel adjudicate list|conflicts`, the
Adjudicate page's queue, and the export's own count; a lead settles one by deciding its tasks or
dismissing it, and its examples are exported again."""

from __future__ import annotations

import pytest

from annotate.consensus.adjudication import adjudicate, adjudication_queue, dismiss_conflict
from annotate.consensus.conflicts import waiting_conflicts
from annotate.errors import ReviewError
from annotate.export.build import build_export
from annotate.export.spec import ExportSpec
from annotate.review.annotators import add_annotator
from annotate.review.claims import submit
from tests.conftest import EXPERT, OTHER, make_tasks

LEAD = "lead@x.test"
PROMPTS = {0: "Can I export my invoices as a PDF file from the Reports page?",
           1: "Can I export my invoices as a PDF file from the reports page ?",
           2: "How do I invite my accountant to the workspace?"}  # fmt: skip
ANSWERS = {0: "You can export invoices as PDF from the Reports page at any time.",
           1: "You cannot export invoices as PDF from the Reports page at any time.",
           2: "Open Settings > Users > Invite and choose the Accountant role."}  # fmt: skip


@pytest.fixture
def conflicting(store):
    """Two experts corrected near-identical prompts with answers that differ by a negation."""
    for email, role in ((EXPERT, "annotator"), (OTHER, "annotator"), (LEAD, "lead")):
        add_annotator(store, email, role)
    tasks = make_tasks(store, 3, texts=lambda number: (PROMPTS[number], "I am not sure."))
    for number, task in enumerate(tasks):
        submit(store, task, EXPERT if number != 1 else OTHER, {
            "kind": "correction", "verdict": "corrected", "failure_categories": ["incomplete"], "severity": "minor",
            "corrected_response": ANSWERS[number]})  # fmt: skip
    return tasks


def _ids(plan) -> set[str]:
    return {example.id for example in plan.train + plan.eval}


def test_a_conflict_the_export_finds_waits_in_the_leads_queue_until_decided(store, project, conflicting, cli):
    first, second, other = conflicting
    plan = build_export(store, project, "sft", ExportSpec(split={"eval_fraction": 0}))
    gate = next(report for report in plan.gates if report.name == "conflicts")
    assert _ids(plan) == {f"t{other}"} and gate.counts["waiting_for_lead"] == 1
    [conflict] = waiting_conflicts(store)
    assert conflict.kind == "sft" and conflict.task_ids == (first, second) and "negation" in conflict.detail
    queue = adjudication_queue(store, project.config)
    assert sorted(queue["task_id"]) == [first, second] and set(queue["conflict_id"]) == {conflict.id}
    assert all(f"conflict {conflict.id}" in reason for reason in queue["reason"])

    listed = cli("adjudicate", "list")
    assert listed.exit_code == 0 and f"conflict {conflict.id}" in listed.output
    shown = cli("adjudicate", "conflicts")
    assert shown.exit_code == 0 and "negation" in shown.output
    exported = cli("export", "--kind", "sft", "--name", "support")
    assert exported.exit_code == 0 and "1 conflicts wait for a lead" in exported.output

    build_export(store, project, "sft", ExportSpec())  # exporting again records nothing twice
    assert len(waiting_conflicts(store)) == 1

    answer = {"kind": "correction", "verdict": "corrected", "failure_categories": ["incomplete"], "severity": "minor",
              "corrected_response": ANSWERS[0]}  # fmt: skip
    adjudicate(store, first, LEAD, answer, "the Reports page does export PDFs", "written")
    assert list(adjudication_queue(store, project.config)["task_id"]) == [second]  # one task left to decide
    adjudicate(store, second, LEAD, answer, "the Reports page does export PDFs", "written")
    assert waiting_conflicts(store) == [] and adjudication_queue(store, project.config).empty
    plan = build_export(store, project, "sft", ExportSpec(split={"eval_fraction": 0}))
    assert _ids(plan) == {f"t{first}", f"t{other}"}  # now they agree: one exported, the other its duplicate
    dropped = {row["id"] for report in plan.gates for row in report.dropped}
    assert dropped == {f"t{second}"}


def test_a_lead_can_dismiss_a_conflict_and_its_examples_are_exported_again(store, project, conflicting, cli):
    first, second, _other = conflicting
    build_export(store, project, "sft", ExportSpec())
    [conflict] = waiting_conflicts(store)
    with pytest.raises(ReviewError, match="only leads"):
        dismiss_conflict(store, conflict.id, EXPERT, "fine")
    with pytest.raises(ReviewError, match="needs a reason"):
        dismiss_conflict(store, conflict.id, LEAD, "  ")
    result = cli("adjudicate", "dismiss", str(conflict.id), "--lead", LEAD, "--reason", "different plans")
    assert result.exit_code == 0, result.output
    assert waiting_conflicts(store) == [] and adjudication_queue(store, project.config).empty
    plan = build_export(store, project, "sft", ExportSpec(split={"eval_fraction": 0}))
    gate = next(report for report in plan.gates if report.name == "conflicts")
    assert {f"t{first}", f"t{second}"} <= _ids(plan) and gate.counts["settled_by_lead"] == 2
    assert gate.counts["waiting_for_lead"] == 0
    again = cli("adjudicate", "dismiss", str(conflict.id), "--lead", LEAD, "--reason", "twice")
    assert again.exit_code != 0 and "was dismissed by" in again.output


def test_the_adjudicate_page_shows_the_conflicting_answers_and_dismisses_the_conflict(env, store, project, conflicting):
    from tests.conftest import run_page

    first, second, _other = conflicting
    build_export(store, project, "sft", ExportSpec())
    [conflict] = waiting_conflicts(store)
    app = run_page("annotate.ui.adjudication.adjudication_page", LEAD, role="lead")
    assert not app.exception
    queue = app.dataframe[0].value
    assert sorted(queue["task"]) == [first, second] and all("negation" in why for why in queue["why"])
    assert app.selectbox(key="adjudicate-task").value == first
    texts = [text.value for text in app.text]
    assert ANSWERS[0] in texts and ANSWERS[1] in texts  # this task's answer and the one it conflicts with
    app.button(key=f"dismiss-{conflict.id}-button").click().run()
    assert "needs a reason" in app.error[0].value and len(waiting_conflicts(store)) == 1
    app.text_input(key=f"dismiss-reason-{conflict.id}").input("PDF export differs by plan")
    app.button(key=f"dismiss-{conflict.id}-button").click().run()
    assert not app.exception and waiting_conflicts(store) == []
    assert "Nothing to adjudicate" in app.success[-1].value
