"""The gold-accuracy bar: an annotator under it, on enough evidence, gets no new task until a lead
resumes them, and the lead is told (command line and pages)."""

from __future__ import annotations

import json

import pytest

from annotate.config import ConfigError, parse_config
from annotate.errors import AnnotatorError, NotAllowed, Paused
from annotate.project import Project
from annotate.review.annotators import add_annotator, pause, resume
from annotate.records import CorrectionAnswer
from annotate.review.claims import next_task, store_external_annotation, submit
from annotate.review.quality import standings
from tests.conftest import make_tasks, run_page

ANA, LEA = "ana@x.test", "lea@x.test"
GOLD_ANSWER = {"kind": "correction", "verdict": "unusable", "rationale": "Cannot be judged."}


@pytest.fixture
def team(store):
    add_annotator(store, ANA)
    add_annotator(store, LEA, "lead")
    make_tasks(store, 3)  # ordinary work waiting in the queue
    return store


def answer_gold(store, email: str, right: int, wrong: int) -> None:
    """`email` answers right + wrong fresh gold items (gold answer: unusable)."""
    gold = make_tasks(store, right + wrong, gold_answer=json.dumps(GOLD_ANSWER))
    for number, task in enumerate(gold):
        submit(store, task, email, {"kind": "correction", "verdict": "unusable" if number < right else "acceptable",
                                    "rationale": "Cannot be judged."})


def shown(markdown: str) -> str:
    """Text as the page wrote it, less the escapes that keep it literal (word joiners, backslashes)."""
    return markdown.replace("\u2060", "").replace("\\", "")


def standing(store, email: str):
    return next(each for each in standings(store, store.list_annotators()) if each.email == email)


def test_an_annotator_under_the_bar_on_enough_gold_answers_gets_no_new_task(team):
    held = next_task(team, ANA)  # a task claimed before the evidence came in
    answer_gold(team, ANA, right=0, wrong=5)
    assert next_task(team, ANA).task_id == held.task_id, "a task they hold stays theirs"
    submit(team, held.task_id, ANA, {"kind": "correction", "verdict": "acceptable"})
    with pytest.raises(Paused, match=r"gold accuracy 0\.00 \(0 of 5 gold answers; 95% interval 0\.00-0\.43\)"):
        next_task(team, ANA)
    row = team.latest_pauses()[team.annotator_by_email(ANA)["id"]]
    assert (row["action"], row["source"], row["n_gold"], row["n_right"]) == ("paused", "rule", 5, 0)
    assert row["high"] == pytest.approx(0.4345, abs=1e-3) and row["lead_id"] is None
    assert len(team.task_answers(held.task_id)) == 1, "their submitted work stays"
    with pytest.raises(Paused):
        next_task(team, ANA)
    assert len(list(team.db.query("SELECT * FROM annotator_pauses"))) == 1, "the pause is recorded once"


def test_gold_answers_from_label_studio_or_an_import_count_toward_the_bar(team):
    person = team.annotator_by_email(ANA)["id"]
    for task in make_tasks(team, 5, gold_answer=json.dumps(GOLD_ANSWER)):
        with team.immediate():
            store_external_annotation(team, task, person, CorrectionAnswer(verdict="acceptable"), source="labelstudio",
                                      external_id=f"ls-{task}")  # fmt: skip
    assert team.latest_pauses()[person]["source"] == "rule"
    with pytest.raises(Paused):
        next_task(team, ANA)


@pytest.mark.parametrize(("right", "wrong", "why"), [
    (0, 4, "not enough evidence (4 of 5 gold answers)"),  # too few gold answers to judge
    (1, 4, "not enough evidence (the interval spans 0.60"),  # 0.20, but the interval reaches 0.62
    (8, 0, "at or above the bar"),  # 5 of 5 would not do: its interval starts at 0.57
])  # fmt: skip
def test_without_evidence_under_the_bar_nobody_is_paused(team, right, wrong, why):
    answer_gold(team, ANA, right=right, wrong=wrong)
    assert next_task(team, ANA) is not None
    found = standing(team, ANA)
    assert not found.paused and found.judgement.startswith(why)
    assert found.tally.n_gold == right + wrong and found.tally.n_right == right


def test_a_bar_of_zero_turns_pausing_off(project: Project):
    (project.root / "flywheel.toml").write_text("[quality]\npause_below = 0\n")
    with Project(project.root, project.db_path).open_store() as store:
        add_annotator(store, ANA)
        make_tasks(store, 1)
        answer_gold(store, ANA, right=0, wrong=8)
        assert next_task(store, ANA) is not None
        assert standing(store, ANA).judgement == "no bar"


def test_the_lead_resumes_and_only_later_gold_answers_count(team):
    answer_gold(team, ANA, right=0, wrong=5)
    with pytest.raises(Paused):
        next_task(team, ANA)
    with pytest.raises(NotAllowed, match="only leads and admins"):
        resume(team, ANA, "I improved", by=ANA)
    with pytest.raises(AnnotatorError, match="reason is required"):
        resume(team, ANA, "  ", by=LEA)
    resumed = resume(team, ANA, "retrained on the guidelines", by=LEA)
    assert (resumed["action"], resumed["source"], resumed["lead_email"]) == ("resumed", "lead", LEA)
    assert (resumed["n_gold"], resumed["n_right"]) == (5, 0), "the evidence the lead decided on is kept"
    claimed = next_task(team, ANA)
    assert claimed is not None, "the lead's decision stands against the old evidence"
    found = standing(team, ANA)
    assert found.tally.n_gold == 0 and not found.paused
    submit(team, claimed.task_id, ANA, {"kind": "correction", "verdict": "acceptable"})
    answer_gold(team, ANA, right=0, wrong=5)  # five fresh gold answers, all wrong
    with pytest.raises(Paused):
        next_task(team, ANA)


def test_a_lead_pauses_by_hand_and_the_rule_never_lifts_it(team):
    answer_gold(team, ANA, right=5, wrong=0)
    pause(team, ANA, "rushing through tasks", by=LEA)
    with pytest.raises(Paused, match=f"paused by {LEA} .*: rushing through tasks"):
        next_task(team, ANA)
    with pytest.raises(AnnotatorError, match="already paused"):
        pause(team, ANA, "again", by=LEA)
    with pytest.raises(NotAllowed, match="your own account"):
        pause(team, LEA, "testing", by=LEA)
    resume(team, ANA, "talked it through", by=LEA)
    with pytest.raises(AnnotatorError, match="is not paused"):
        resume(team, ANA, "twice", by=LEA)


def test_the_lead_sees_the_pause_in_the_command_line_and_resumes_there(team, cli):
    answer_gold(team, ANA, right=0, wrong=6)
    listing = cli("users", "list")
    assert listing.exit_code == 0, listing.output
    row = next(line for line in listing.output.splitlines() if ANA in line and "│" in line)
    assert "paused" in row and "0.00 (0 of 6 gold answers; 95% interval 0.00-0.39)" in row
    assert f"{ANA} paused by the gold-accuracy rule on" in listing.output
    assert "is under the bar of 0.60" in listing.output and f"flywheel users resume {ANA}" in listing.output
    report = cli("agreement")
    assert "Gold accuracy against the bar (0.60 after 5 gold answers; all rounds)" in report.output
    assert "under the bar" in report.output

    refused = cli("users", "resume", ANA, "--reason", "ok", "--as", ANA)
    assert refused.exit_code == 1 and "only leads and admins" in refused.output
    resumed = cli("users", "resume", ANA, "--reason", "retrained", "--as", LEA)
    assert resumed.exit_code == 0 and f"resumed by {LEA}" in resumed.output
    assert next_task(team, ANA) is not None
    relisted = next(line for line in cli("users", "list").output.splitlines() if ANA in line and "│" in line)
    assert "no gold answers" in relisted and "yes" in relisted


def test_the_lead_sees_the_pause_on_the_people_and_agreement_pages(env, team):
    answer_gold(team, ANA, right=1, wrong=9)
    people = run_page("annotate.ui.people.people_page", LEA, role="lead")
    assert not people.exception
    warning = shown(people.warning[0].value)
    assert warning.startswith(f"**{ANA}** takes no new tasks: paused by the gold-accuracy rule")
    table = people.dataframe[0].value.set_index("email")
    assert table.loc[ANA, "new tasks"] == "paused" and table.loc[LEA, "new tasks"] == "yes"
    assert table.loc[ANA, "gold accuracy"].startswith("0.10 (1 of 10 gold answers")

    agreement = run_page("annotate.ui.agreement.agreement_page", LEA, role="lead")
    assert not agreement.exception
    assert any("takes no new tasks" in each.value for each in agreement.warning)
    bar = agreement.dataframe[-1].value.set_index("annotator")
    assert bar.loc[ANA, "against the bar"] == "under the bar" and bar.loc[ANA, "gold answers"] == 10
    assert bar.loc[ANA, "high"] < 0.6 <= 1


def test_the_paused_annotator_is_told_instead_of_given_a_task(env, team):
    answer_gold(team, ANA, right=0, wrong=5)
    page = run_page("annotate.ui.correction.correction_page", ANA)
    assert not page.exception and not page.error
    assert "paused from new tasks" in page.warning[0].value


def test_the_quality_settings_are_checked_in_the_config():
    quality = parse_config("[quality]\npause_below = 0.7\nmin_gold = 10\n").quality
    assert (quality.pause_below, quality.min_gold) == (0.7, 10)
    with pytest.raises(ConfigError, match=r"flywheel.toml:2: quality.min_gold"):
        parse_config("[quality]\nmin_gold = 0\n")
