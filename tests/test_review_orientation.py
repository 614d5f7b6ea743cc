"""Where an expert stands: the task's id, their progress through the round, a Skip that works
without Enter, *My work* showing the whole conversation and where a search matched, and the
keys each workspace names. AppTest and the domain, against a real project and SQLite file;
tests/test_hotkeys_browser.py presses the keys in a real browser."""

import re

import pytest

from annotate.review.annotators import add_annotator
from annotate.review.claims import history, next_task, release, submit
from annotate.review.progress import round_progress
from annotate.review.work_search import where_found
from annotate.ui.correction import VERDICT_KEYS, VERDICTS
from annotate.ui.hotkeys import choice_keys, keys_caption, move_keys, skip_key, submit_key
from annotate.ui.preference import CHOICE_KEYS, CHOICES
from tests.conftest import REPO, make_tasks, run_page
from tests.test_review_tool_calls import tool_task

ANA, BEN = "ana@example.com", "ben@example.com"


@pytest.fixture
def people(store):
    for email in (ANA, BEN):
        add_annotator(store, email, password="correct horse battery")
    return store


def answer(store, email: str, task: int, verdict: str = "acceptable", rationale: str = "") -> None:
    assert next_task(store, email, "correction").task_id == task
    submit(store, task, email, {"kind": "correction", "verdict": verdict, "rationale": rationale})


def test_the_workspace_shows_the_task_id(env, people):
    first, _ = make_tasks(people, 2)
    app = run_page("annotate.ui.correction.correction_page", ANA)
    assert f"**Task #{first}**" in [block.value for block in app.markdown]


def test_the_progress_bar_counts_what_the_expert_did_and_what_is_still_theirs_in_the_round(env, people):
    old = make_tasks(people, 2)
    answer(people, ANA, old[0])
    people.insert_round_closing_others("round 2", None)  # earlier rounds' work is not this round's
    done, held_by_ben, skipped, free, shared = make_tasks(people, 4) + make_tasks(people, 1, required=2)
    answer(people, ANA, done)
    assert next_task(people, BEN, "correction").task_id == held_by_ben  # its only slot is taken
    assert next_task(people, ANA, "correction").task_id == skipped
    release(people, skipped, ANA, "not my field")
    submit(people, shared, BEN, {"kind": "correction", "verdict": "acceptable"})  # its second slot is free for Ana

    progress = round_progress(people, ANA, "correction")
    assert (progress.round_name, progress.done, progress.left) == ("round 2", 1, 2), "free and shared are left"
    assert progress.share_done == pytest.approx(1 / 3)
    assert round_progress(people, BEN, "correction").done == 1, "Ben's answer to the shared task is his"

    app = run_page("annotate.ui.correction.correction_page", ANA)  # claims `free`: held, still left
    (bar,) = app.progress
    assert bar.value == 33
    assert bar.text == "Your part of this round (round 2): **1** done of **3** (2 left)"


def test_with_nothing_to_do_in_the_round_the_progress_is_complete(people):
    progress = round_progress(people, ANA, "correction")
    assert (progress.done, progress.left, progress.share_done) == (0, 0, 1.0)


def test_skip_works_without_enter_and_asks_for_a_reason_first(env, people):
    first, second = make_tasks(people, 2)
    app = run_page("annotate.ui.correction.correction_page", ANA)
    assert not app.button(key=f"skip-{first}").disabled, "Skip is enabled before a reason is typed"
    app.button(key=f"skip-{first}").click().run()
    assert "Say why you skip this task" in app.error[0].value
    assert next(people.db.query("SELECT outcome FROM claims WHERE task_id = ?", [first]))["outcome"] == "active"

    app.text_input(key=f"skip-reason-{first}").input("needs a payroll expert")  # typed, no Enter pressed
    app.button(key=f"skip-{first}").click().run()
    claim = next(people.db.query("SELECT outcome, reason FROM claims WHERE task_id = ?", [first]))
    assert claim == {"outcome": "skipped", "reason": "needs a payroll expert"}
    assert app.text_area(key=f"corrected-{second}").value == "answer 1"


def test_my_work_finds_an_earlier_turn_shows_the_whole_conversation_and_says_where(env, people):
    task = tool_task(people)  # six turns, the last "And in Lyon, in fahrenheit?"; a tool result in turn 4
    answer(people, ANA, task, rationale="The unit is wrong.")
    (row,) = history(people, ANA)
    assert where_found(row, "TEMP_C") == ["turn 4 of 6 (tool)"]
    assert where_found(row, "paris") == ["turn 2 of 6 (user)", "turn 3 of 6 (assistant)", "turn 5 of 6 (assistant)"]
    assert where_found(row, "get_weather") == ["turn 3 of 6 (assistant)", "turn 4 of 6 (tool)", "the model's response"]
    assert where_found(row, "unit is wrong") == ["your rationale"]
    assert history(people, ANA, "no such words") == []

    app = run_page("annotate.ui.history.history_page", ANA)
    (_, conversation) = app.expander
    assert not conversation.proto.expanded, "the whole conversation starts collapsed"
    app.text_input[0].input("temp_c").run()
    (found, conversation) = app.expander
    assert found.label.endswith("found in turn 4 of 6 \\(tool\\)")
    assert "Your search was found in turn 4 of 6 \\(tool\\)." in [caption.value for caption in found.caption]
    assert conversation.label.startswith("Whole conversation (6 turns")
    assert conversation.proto.expanded, "opened where the search matched"
    shown = [block.value for block in conversation.code] + [block.value for block in conversation.text]
    assert any("temp_c" in text for text in shown) and "Weather in Paris?" in shown
    assert "You answer weather questions with the tools." in shown, "the system prompt too"


def test_each_workspace_names_its_keys_in_the_order_of_its_choices():
    assert len(VERDICT_KEYS) == len(VERDICTS) and len(CHOICE_KEYS) == len(CHOICES)
    correction = [*choice_keys("Verdict", VERDICT_KEYS), submit_key(), skip_key("Skip", "Why skip?")]
    assert keys_caption(correction) == "Keys: 1 Acceptable · 2 Corrected · 3 Unusable · Ctrl+Enter submit · S skip"
    assert [VERDICTS[verdict].startswith(name) for verdict, name in zip(VERDICTS, VERDICT_KEYS)] == [True] * 3
    assert [key.action["option"] for key in choice_keys("Your judgment", CHOICE_KEYS)] == [0, 1, 2, 3]
    assert keys_caption(move_keys()) == "Keys: J next · K previous"


def test_the_workspaces_show_their_keys(env, people):
    make_tasks(people, 1)
    make_tasks(people, 1, kind="preference")
    correct = run_page("annotate.ui.correction.correction_page", ANA)
    compare = run_page("annotate.ui.preference.preference_page", ANA)
    assert "Keys: 1 Acceptable · 2 Corrected · 3 Unusable · Ctrl+Enter submit · S skip" in [c.value for c in correct.caption]
    assert "Keys: 1 A · 2 B · 3 tie · 4 both bad · Ctrl+Enter submit · S skip" in [c.value for c in compare.caption]


def test_the_keys_script_is_the_same_whatever_the_task_holds(env, people):
    payloads = ['</script><script>window.__pwned = 1</script>', '"}; window.__pwned = 2; //']
    first, _ = make_tasks(people, 2, texts=lambda number: (payloads[number], payloads[number]))
    shown = []
    for task in (first, None):
        app = run_page("annotate.ui.correction.correction_page", ANA)
        if task is not None:  # skip the first task, so the page shows the second
            app.text_input(key=f"skip-reason-{task}").input("next one")
            app.button(key=f"skip-{task}").click().run()
        (frame,) = app.get("iframe")
        shown.append(frame.proto.srcdoc)
    assert shown[0] == shown[1], "the script carries nothing of the task"
    assert not any("pwned" in script for script in shown)


def test_only_the_hotkeys_and_session_modules_put_script_on_a_page():
    pages = [*sorted((REPO / "annotate" / "ui").glob("*.py")), REPO / "review_app.py"]
    embedding = [path.name for path in pages
                 if re.search(r"\bst\.(iframe|html)\(|components\.v1|components\.v2", path.read_text(encoding="utf-8"))]  # fmt: skip
    assert embedding == ["hotkeys.py", "session.py"]  # the keys, and the sign-in cookie's one-time handoff (no task text)
