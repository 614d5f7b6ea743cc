"""What the review app tells an expert beside a task: why it is here in plain words (the checks'
own words one click away), other answers to the same question read-only, the same box on gold
items, flags on *Compare* attributed to a response with the user's feedback hidden, the
categories explained, and the project's own guidelines. AppTest against a real project."""

from __future__ import annotations

import json
import re

import pytest

from annotate.flagging import run_flaggers
from annotate.ingest import ingest_files
from annotate.project import GUIDELINES_TEXT
from annotate.review.annotators import add_annotator
from annotate.review.claims import next_task
from annotate.ui.text import escape_markdown
from tests.conftest import record, run_page

RIGHT = "Annual plans can be refunded in full within 30 days; the refund reaches your card in 5-10 business days."
WRONG = "Refunds are only available on monthly plans; annual subscriptions are never refunded."
QUESTIONS = ("Can I get a refund on my annual plan?", "Is the annual plan refundable?", "Refund for a yearly plan?",
             "Can our annual subscription be refunded?")  # fmt: skip
INTERNALS = re.compile(r"\d\s*<\s*-?\d|logprob|similarity|negative_feedback|low_confidence|closest reference")


@pytest.fixture
def logs(store, project, write_jsonl, env):
    """Four answers to one refund question (the last disagrees, unsure, thumbs down), and two
    plain records nobody flagged; flagged; two experts. Returns record ids by external id."""
    rows = [record(id=f"r{n}", prompt=QUESTIONS[n], response=RIGHT, group="refund", model="m@1") for n in range(3)]
    rows.append(record(id="r3", prompt=QUESTIONS[3], response=WRONG, group="refund", model="m@1",
                       logprobs={"mean": -0.4, "min": -7.2}, feedback={"thumbs": "down", "rating": 1}))  # fmt: skip
    rows += [record(id="calm0", prompt="How do I add a logo to my invoices?", response="Settings > Invoice templates > Logo."),
             record(id="calm1", prompt="Which currencies does payroll support?", response="Payroll pays in USD and GBP.")]
    ingest_files(store, [write_jsonl(rows)], source="prod")
    run_flaggers(store, project.config, project.root)
    for email in ("ana@example.com", "ben@example.com"):
        add_annotator(store, email)
    return {row["external_id"]: row["id"] for row in store.db.query("SELECT id, external_id FROM records")}


def add_task(store, record_id, *, priority=1.0, gold=False, record_b_id=None, origin="test") -> int:
    kind = "preference" if record_b_id else "correction"
    gold_answer = json.dumps({"kind": "correction", "verdict": "acceptable"}) if gold else None
    row = {"kind": kind, "record_id": record_id, "record_b_id": record_b_id, "origin": "gold" if gold else origin,
           "priority": priority, "why": "", "cluster": None, "required_annotations": 1, "is_gold": int(gold),
           "gold_answer": gold_answer, "route": "app", "round_id": store.open_round()["id"]}  # fmt: skip
    return store.insert_tasks([row])[0]


def correction_page(email="ana@example.com"):
    app = run_page("annotate.ui.correction.correction_page", email)
    assert not app.exception, app.exception
    return app


def why_box(app):
    """The bordered "Why am I looking at this?" container of the page (keyed why-<task id>)."""
    return next(block for block in _blocks(app._tree) if str(getattr(block, "key", "") or "").startswith("why-")
                or any(getattr(child, "value", None) == "**Why am I looking at this?**" for child in block.children.values()))


def texts(node) -> list[str]:
    """Every markdown, caption and plain text under a node, in page order."""
    found = []
    for child in getattr(node, "children", {}).values():
        if child.type in ("markdown", "caption", "text"):
            found.append(str(child.value))
        found += texts(child)
    return found


def structure(node) -> list[tuple]:
    """The page's shape: element types, and the labels of widgets and expanders (not the record's words)."""
    shape = []
    for child in getattr(node, "children", {}).values():
        label = getattr(child, "label", None) if child.type not in ("markdown", "caption", "text") else None
        shape.append((child.type, label))
        shape += structure(child)
    return shape


def _blocks(node):
    for child in getattr(node, "children", {}).values():
        if hasattr(child, "children"):
            yield child
            yield from _blocks(child)


def outside_details(app) -> list[str]:
    details = [expander for expander in app.expander if expander.label.startswith("Details")]
    hidden = {text for expander in details for text in texts(expander)}
    return [text for text in texts(app._tree) if text not in hidden]


def test_why_flagged_speaks_plain_words_with_the_checks_own_words_only_in_details(store, logs):
    add_task(store, logs["r3"])
    app = correction_page()
    shown = "\n".join(texts(why_box(app)))
    assert "Answers to the same question differ" in shown and "typical agreement" in shown
    assert "The model was unsure" in shown and "1 in 1,300" in shown  # e^7.2 ≈ 1,339, rounded to two figures
    assert "The user was unhappy" in shown and "rated it 1 out of 5" in shown
    assert not [text for text in outside_details(app) if INTERNALS.search(text)], "internals on screen"
    details = next(expander for expander in app.expander if expander.label.startswith("Details"))
    assert any("median similarity" in text and "< 0.55" in text for text in texts(details))


def test_the_other_answers_to_the_same_question_open_read_only(store, logs):
    add_task(store, logs["r3"])
    app = correction_page()
    others = next(expander for expander in app.expander if expander.label.startswith("Read the other answers"))
    assert "(3)" in others.label
    shown = texts(others)
    assert sum(RIGHT in text for text in shown) == 3 and any(QUESTIONS[0] in text for text in shown)
    assert {element_type for element_type, _ in structure(others)} <= {"markdown", "caption", "text"}, "nothing to edit or claim"
    claimed = list(store.db.query("SELECT DISTINCT task_id FROM claims"))
    assert len(claimed) == 1  # only the expert's own task


def test_a_gold_task_shows_the_same_box_and_page_as_an_ordinary_one(store, logs):
    """Bug 4: a gold item whose record nobody flagged had no "why" box, which gave it away."""
    add_task(store, logs["calm0"], priority=2.0, gold=True)
    add_task(store, logs["calm1"], priority=1.0, origin="spot_check")
    gold = correction_page("ana@example.com")
    ordinary = correction_page("ben@example.com")
    assert texts(why_box(gold))[0] == "**Why am I looking at this?**"
    assert structure(gold._tree) == structure(ordinary._tree)
    assert texts(why_box(gold)) == texts(why_box(ordinary))  # the same neutral words for both


def test_gold_tasks_take_ids_among_the_batch_not_after_it(store, project, write_jsonl, tmp_path):
    from annotate.tasks.gold import import_gold
    from annotate.tasks.selection import select_tasks

    topics = "invoice VAT payroll receipt quote refund ledger budget mileage expense deposit journal audit token webhook".split()
    rows = [record(id=f"t{n}", prompt=f"How do I fix my {topic} settings?", response=f"Open {topic}.", feedback={"thumbs": "down"})
            for n, topic in enumerate(topics)]  # fmt: skip
    ingest_files(store, [write_jsonl(rows)], source="prod")
    run_flaggers(store, project.config, project.root, only=["negative_feedback"])
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"source": "prod", "id": f"t{n}", "answer": {"kind": "correction", "verdict": "acceptable"}}) + "\n"
                            for n in range(12, 15)))  # fmt: skip
    assert import_gold(store, gold, project.config.taxonomy).imported == 3
    project.config.overlap.gold_rate = 0.25
    report = select_tasks(store, project.config, budget=12)
    tasks = [store.task(task_id) for task_id in sorted(report.task_ids)]
    assert sum(task.is_gold for task in tasks) == 3
    assert [task.is_gold for task in tasks][-3:] != [1, 1, 1], "the newest ids would mark the gold items"
    assert [task.priority for task in tasks] == sorted((task.priority for task in tasks), reverse=True)


def test_compare_attributes_each_flag_to_its_response_and_hides_the_users_feedback(store, logs, project):
    task = add_task(store, logs["r3"], record_b_id=logs["calm0"])
    view = next_task(store, "ana@example.com", "preference")
    side = "A" if store.task(task).record_id == logs["r3"] else "B"
    app = run_page("annotate.ui.preference.preference_page", "ana@example.com")
    assert not app.exception
    shown = "\n".join(texts(why_box(app)))
    assert f"Response {side}: The model was unsure" in shown and f"Response {side}: Answers to the same question differ" in shown
    assert "unhappy" not in shown and "thumbs" not in "\n".join(texts(app._tree)), "feedback biases a blind judgement"
    assert app.multiselect[0].label == escape_markdown("What is wrong with the response you did not choose (both, if both are bad)")
    assert view.flag_responses and set(view.flag_responses) == {side}

    config = project.config_path.read_text(encoding="utf-8")
    project.config_path.write_text(config.replace("show_feedback_in_compare = false", "show_feedback_in_compare = true"), encoding="utf-8")
    app = run_page("annotate.ui.preference.preference_page", "ana@example.com")
    assert f"Response {side}: The user was unhappy" in "\n".join(texts(why_box(app)))


def test_the_categories_are_explained_where_they_are_chosen(store, logs):
    add_task(store, logs["r0"])
    app = correction_page()
    assert "Factual error: States something false." in app.multiselect[0].help
    meanings = next(expander for expander in app.expander if expander.label == "What the categories mean")
    shown = texts(meanings)
    assert "**Wrong tool call**: Calls the wrong tool, with wrong arguments, needlessly or repeatedly, or ignores a tool's result." in shown
    assert any(text.startswith("Example: ") and "JSON only" in text for text in shown)


def test_the_guidelines_are_the_projects_markdown_file_or_the_built_in_lines(store, logs, project):
    add_task(store, logs["r0"])
    (project.root / "guidelines.md").write_text("# Refund rules\n\nAnnual plans: **30 days**.\n", encoding="utf-8")
    app = correction_page()
    assert "# Refund rules\n\nAnnual plans: **30 days**." in [markdown.value.strip() for markdown in app.markdown]
    (project.root / "guidelines.md").unlink()
    app = correction_page()
    assert GUIDELINES_TEXT.strip() in [markdown.value.strip() for markdown in app.markdown]


def test_every_flaggers_real_detail_becomes_a_specific_plain_sentence(store, project, write_jsonl):
    """The sentences are written against what the flaggers write: each flag below, made by the
    real flagger, gets its own sentence (not the generic one) with no internals in it."""
    from annotate.config import parse_config
    from annotate.review.claims import task_view
    from annotate.review.why import GENERIC, why_shown

    weather = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}
    rows = [
        record(id="pii", response="I've noted your email address, jane.doe@example.com, and will write back."),
        record(id="refusal", response="", refusal="I can't help with that request."),
        record(id="tool", prompt="Weather in Paris?", response="", tools=[weather],
               tool_calls=[{"id": "c1", "type": "function", "function": {"name": "delete_account", "arguments": "{}"}}]),
        record(id="format", messages=[{"role": "system", "content": "Reply in JSON only."}, {"role": "user", "content": "Triage: refund"}],
               response="This is a billing ticket."),
        record(id="feedback", response="Go to Reports.", feedback={"comment": "This is wrong, there is no such menu"}),
        record(id="unsure", response="Go to Reports.", logprobs={"mean": -1.9}),
        record(id="refused", prompt="How do I change the currency on an invoice?", response="I'm sorry, but I can't help with that."),
    ]  # fmt: skip
    ingest_files(store, [write_jsonl(rows)], source="prod")
    config = parse_config('[[validators]]\nname = "json-only"\nkind = "json"\nwhen_system_contains = "Reply in JSON"\n'
                          '[[validators]]\nname = "unexpected-refusal"\nkind = "refusal"\n')
    run_flaggers(store, config, project.root)
    ids = {row["external_id"]: row["id"] for row in store.db.query("SELECT id, external_id FROM records")}
    expected = {"pii": "an email address", "refusal": 'saying "I can\'t help', "tool": "delete_account", "format": "JSON",
                "feedback": "complained: ", "unsure": "on average it gave its words a 15% chance",
                "refused": "refused what looks like a fair request, saying"}  # fmt: skip
    for name, words in expected.items():
        task = add_task(store, ids[name])
        reasons = [reason for reason in why_shown(task_view(store, task)) if reason.sentence != GENERIC.get(reason.reason)]
        assert any(words in reason.sentence for reason in reasons), (name, why_shown(task_view(store, task)))
        assert not any(INTERNALS.search(reason.sentence) for reason in reasons), reasons


def test_the_other_answers_are_masked_as_the_task_is(store, project, write_jsonl, env):
    config = project.config_path.read_text(encoding="utf-8")
    project.config_path.write_text(config.replace('in_review = "show"', 'in_review = "mask"'), encoding="utf-8")
    add_annotator(store, "ana@example.com")
    leak = "Write to maria.gomez@example.com, she handles refunds."
    rows = [record(id=f"m{n}", prompt=QUESTIONS[n], response=RIGHT if n else leak, group="refund", model="m@1") for n in range(3)]
    rows.append(record(id="m3", prompt=QUESTIONS[3], response=WRONG, group="refund", model="m@1"))
    ingest_files(store, [write_jsonl(rows)], source="prod")
    run_flaggers(store, project.config, project.root, only=["inconsistency"])
    record_id = next(store.db.query("SELECT id FROM records WHERE external_id = 'm3'"))["id"]
    add_task(store, record_id)
    app = correction_page()
    others = next(expander for expander in app.expander if expander.label.startswith("Read the other answers"))
    shown = "\n".join(texts(others))
    assert "maria.gomez" not in shown and "<EMAIL_ADDRESS_1>" in shown
