"""Tool calls through review: the review app and Label Studio tasks show a conversation's tool calls
and results as distinct steps, and an expert corrects a call (its tool and its arguments) as well
as text; a call that is not JSON, names a tool not offered, or breaks the tool's parameter schema
is refused wherever an answer comes in, with the call and the problem named."""

from __future__ import annotations

import json

import pytest

from annotate.config import PiiPolicy
from annotate.errors import ReviewError
from annotate.ingest.rows import to_row
from annotate.labelstudio.payloads import answer_from_result, task_payload
from annotate.project import Project
from annotate.records import RecordIn
from annotate.review.annotators import add_annotator
from annotate.review.claims import edit_annotation, next_task, submit
from annotate.review.tool_answers import offered_tools, tool_call_problems
from annotate.text.tool_calls import response_text, split_response
from annotate.ui.text import escape_markdown
from tests.conftest import EXPERT, run_page

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city"], "additionalProperties": False},
}}  # fmt: skip
CLOCK = {"type": "function", "function": {"name": "get_time", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}  # fmt: skip
HISTORY = [
    {"role": "system", "content": "You answer weather questions with the tools."},
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": '{"temp_c": 21, "sky": "clear"}'},
    {"role": "assistant", "content": "It is 21°C and clear in Paris."},
    {"role": "user", "content": "And in Lyon, in fahrenheit?"},
]  # fmt: skip


def call(name: str, arguments: str, id: str = "call_2") -> dict:
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


def tool_task(store, *, response_calls=None, tools=(WEATHER, CLOCK), route="app", history=HISTORY, content=None) -> int:
    """A correction task on a record whose model answered with a tool call (Lyon, in celsius: wrong unit)."""
    calls = response_calls or [call("get_weather", '{"city": "Lyon", "unit": "celsius"}')]
    record = RecordIn(id=f"tool-{store.db['records'].count}", messages=history, response=response_text(content, calls),
                      tool_calls=calls, tools=list(tools) if tools is not None else None)  # fmt: skip
    round_id = store.open_round()["id"]
    row = to_row(record, source="test", round_id=round_id, ingest_id=None)
    with store.transaction():
        store.insert_new_records([row])
    (task,) = store.insert_tasks([{
        "kind": "correction", "record_id": row[0], "record_b_id": None, "origin": "test", "priority": 1.0, "why": "",
        "cluster": None, "required_annotations": 1, "is_gold": 0, "gold_answer": None, "route": route, "round_id": round_id,
    }])  # fmt: skip
    return task


@pytest.fixture
def expert(store):
    add_annotator(store, EXPERT)
    return store


def correcting(task: int):
    app = run_page("annotate.ui.correction.correction_page", EXPERT)
    assert not app.exception, app.exception
    return app


def submit_corrected(app, task: int):
    app.radio(key=f"verdict-{task}").set_value("corrected")
    app.multiselect(key=f"categories-{task}").set_value(["wrong_tool_call"])
    app.selectbox(key=f"severity-{task}").set_value("major")
    app.text_area(key=f"rationale-{task}").input("Wrong unit.")
    return app.button(key=f"submit-{task}").click().run()


# --- shown as steps ---------------------------------------------------------------------------


def test_a_tool_call_and_its_result_are_shown_as_separate_readable_steps(env, expert):
    tool_task(expert)
    app = correcting(1)
    markdown = [block.value for block in app.markdown]
    calls_paris = markdown.index("Calls **get_weather** (call_1)")
    result = markdown.index("Result of **get_weather** (call_1)")
    assert calls_paris < result, "the call, then its result"
    codes = [block.value for block in app.code]
    assert '{\n  "city": "Paris"\n}' in codes, "the arguments as formatted JSON"
    assert '{\n  "temp_c": 21,\n  "sky": "clear"\n}' in codes, "the tool's result, formatted as it is JSON"
    assert codes.index('{\n  "city": "Paris"\n}') < codes.index('{\n  "temp_c": 21,\n  "sky": "clear"\n}')
    assert '{\n  "city": "Lyon",\n  "unit": "celsius"\n}' in codes, "the response under review shows its call the same way"
    assert "It is 21°C and clear in Paris." in [text.value for text in app.text]
    assert not any("<tool_call>" in text.value for text in app.text), "calls are steps, not raw blocks"


def test_attachments_are_references_and_a_refusal_is_marked(env, expert):
    history = [
        {"role": "user", "content": "What is in this picture? [image: https://img.test/a.png]",
         "attachments": [{"type": "image", "url": "https://img.test/a.png"},
                         {"type": "image", "media_type": "image/png", "data_chars": 1204, "sha256": "ab"}]},
        {"role": "assistant", "content": "", "refusal": "I can't describe people in images."},
        {"role": "user", "content": "Then the weather in Lyon?"},
    ]  # fmt: skip
    tool_task(expert, history=history)
    app = correcting(1)
    texts = [text.value for text in app.text]
    assert "[image] https://img.test/a.png" in texts
    assert "[image] inline data (image/png), 1,204 characters" in texts
    assert "**Refusal** (the model declined)" in [block.value for block in app.markdown]
    assert "I can't describe people in images." in texts
    assert not any("<img" in block.value or "![" in block.value for block in app.markdown)


# --- correcting a call in the app -------------------------------------------------------------


def test_an_expert_corrects_the_arguments_and_the_stored_answer_holds_the_corrected_call(env, expert):
    task = tool_task(expert)
    app = correcting(task)
    assert app.selectbox(key=f"call-name-{task}-0").value == "get_weather"
    arguments = app.text_area(key=f"call-arguments-{task}-0")
    assert json.loads(arguments.value) == {"city": "Lyon", "unit": "celsius"}
    arguments.input('{"city": "Lyon", "unit": "fahrenheit"}').run()
    assert any(":green[**" in block.value and "fahrenheit" in block.value for block in app.markdown), "the live diff"
    submit_corrected(app, task)
    assert not app.exception and app.success[0].value.startswith("Saved")
    (annotation,) = expert.annotations_of(task)
    assert annotation.corrected_response == '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Lyon", "unit": "fahrenheit"}}\n</tool_call>'
    (corrected,) = split_response(annotation.corrected_response).calls
    assert (corrected.name, corrected.arguments) == ("get_weather", {"city": "Lyon", "unit": "fahrenheit"})


def test_an_expert_replaces_a_call_with_another_tool_and_adds_text(env, expert):
    task = tool_task(expert)
    app = correcting(task)
    app.button(key=f"call-add-{task}").click().run()
    app.selectbox(key=f"call-name-{task}-1").set_value("get_time")
    app.text_area(key=f"call-arguments-{task}-1").input('{"city": "Lyon"}')
    app.button(key=f"call-remove-{task}-0").click().run()
    app.text_area(key=f"corrected-{task}").input("Let me check the time there first.").run()
    submit_corrected(app, task)
    (annotation,) = expert.annotations_of(task)
    stored = split_response(annotation.corrected_response)
    assert stored.content == "Let me check the time there first."
    assert [(c.name, c.arguments) for c in stored.calls] == [("get_time", {"city": "Lyon"})]


@pytest.mark.parametrize("arguments, expected", [
    ('{"city": "Lyon", "unit": "kelvin"}', "tool call 1 (get_weather): unit: 'kelvin' is not one of ['celsius', 'fahrenheit']"),
    ('{"unit": "fahrenheit"}', "tool call 1 (get_weather): 'city' is a required property"),
    ('{"city": "Lyon", unit: fahrenheit}', "tool call 1 (get_weather): arguments are not valid JSON"),
])  # fmt: skip
def test_arguments_that_break_the_schema_are_refused_with_the_reason_and_nothing_is_stored(env, expert, arguments, expected):
    task = tool_task(expert)
    app = correcting(task)
    app.text_area(key=f"call-arguments-{task}-0").input(arguments).run()
    assert expected in app.warning[0].value.replace("\\", ""), "said as the expert types, before submitting"
    submit_corrected(app, task)
    assert expected in app.error[0].value.replace("\\", ""), app.error[0].value
    assert app.error[0].value.startswith(escape_markdown("corrected_response: tool call 1"))
    assert expert.annotations_of(task) == []
    assert app.text_area(key=f"call-arguments-{task}-0").value == arguments, "the expert's edit stays on screen"


def test_a_call_to_a_tool_that_was_not_offered_is_refused(env, expert):
    task = tool_task(expert, response_calls=[call("get_forecast", '{"city": "Lyon"}')])
    app = correcting(task)
    name = app.selectbox(key=f"call-name-{task}-0")
    assert name.value == "get_forecast" and name.options[-1] == "get_forecast (not offered)"
    app.text_area(key=f"call-arguments-{task}-0").input('{"city": "Lyon", "days": 2}').run()
    submit_corrected(app, task)
    assert "unknown tool 'get_forecast' (offered: get_time, get_weather)" in app.error[0].value.replace("\\", "")
    assert expert.annotations_of(task) == []
    app.selectbox(key=f"call-name-{task}-0").set_value("get_weather")
    app.text_area(key=f"call-arguments-{task}-0").input('{"city": "Lyon"}').run()
    submit_corrected(app, task)
    assert split_response(expert.annotations_of(task)[0].corrected_response).calls[0].name == "get_weather"


def test_accepting_a_call_as_it_is_needs_no_edit_even_when_the_model_spaced_its_json_its_own_way(env, expert):
    task = tool_task(expert)
    with expert.transaction():  # the model's own spacing, as a log may hold it
        expert.db.execute("UPDATE records SET response = ? WHERE id = (SELECT record_id FROM tasks WHERE id = ?)",
                          ['<tool_call>\n{"name":"get_weather","arguments":{"city":"Lyon","unit":"celsius"}}\n</tool_call>', task])  # fmt: skip
    app = correcting(task)
    assert not any(block.value == "**Your changes**" for block in app.markdown)
    app.text_area(key=f"rationale-{task}").input("Fine.")
    app.button(key=f"submit-{task}").click().run()
    assert [a.verdict for a in expert.annotations_of(task)] == ["acceptable"]


# --- the same rule wherever answers come in ---------------------------------------------------


BAD = response_text(None, [call("get_weather", '{"city": 7}')])
GOOD = response_text(None, [call("get_weather", '{"city": "Lyon", "unit": "fahrenheit"}')])
FIX = {"kind": "correction", "verdict": "corrected", "failure_categories": ["wrong_tool_call"], "severity": "major"}


def test_submit_my_work_edits_and_imports_refuse_a_bad_call_alike(expert, project, cli, tmp_path):
    task = tool_task(expert)
    next_task(expert, EXPERT)
    with pytest.raises(ReviewError, match=r"corrected_response: tool call 1 \(get_weather\): city: 7 is not of type 'string'"):
        submit(expert, task, EXPERT, {**FIX, "corrected_response": BAD})
    assert expert.annotations_of(task) == []
    first = submit(expert, task, EXPERT, {**FIX, "corrected_response": GOOD})
    with pytest.raises(ReviewError, match="city: 7 is not of type 'string'"):
        edit_annotation(expert, first.annotation_id, EXPERT, {**FIX, "corrected_response": BAD})
    assert len(expert.annotations_of(task)) == 1

    other = tool_task(expert)
    lines = tmp_path / "vendor.jsonl"
    lines.write_text(json.dumps({"task": other, "annotator": EXPERT,
                                 "answer": {**FIX, "corrected_response": BAD}}) + "\n")  # fmt: skip
    result = cli("annotations", "import", str(lines))
    assert result.exit_code == 2, result.output
    assert expert.annotations_of(other) == []
    (rejects,) = project.root.glob("**/*.rejects.jsonl")
    (reject,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert reject["line"] == 1 and "tool call 1 (get_weather): city: 7 is not of type 'string'" in reject["reason"]


def test_without_the_offered_tools_only_the_form_of_a_call_is_checked(expert):
    task = tool_task(expert, tools=None)
    assert offered_tools(expert, [expert.task(task).record_id, None]) is None
    assert tool_call_problems(response_text(None, [call("anything", '{"x": 1}')]), None) == []
    assert tool_call_problems("<tool_call>\n{oops}\n</tool_call>", None) == ["tool call 1: not JSON (Expecting property name enclosed in double quotes)"]
    assert tool_call_problems(response_text(None, [call("anything", "[1]")]), None) == ["tool call 1 (anything): arguments are not a JSON object"]


def test_the_call_editor_types_the_tool_name_when_the_record_kept_no_tools(env, expert):
    task = tool_task(expert, tools=None)
    app = correcting(task)
    assert app.text_input(key=f"call-name-{task}-0").value == "get_weather"
    assert not app.expander or all("Tools the model was offered" not in e.label for e in app.expander)


# --- Label Studio -----------------------------------------------------------------------------


def test_the_label_studio_payload_shows_the_tools_offered_each_call_and_each_result(expert):
    task = tool_task(expert, route="labelstudio")
    (row,) = expert.tasks_to_push("correction", None)
    payload = task_payload(row, PiiPolicy(on_push="allow"), 0.5)
    assert payload.data["flywheel_task_id"] == task
    paragraphs = [(p["role"], p["content"]) for p in payload.data["messages"]]
    assert paragraphs[0][0] == "tool offered: get_weather" and '"enum": [' in paragraphs[0][1]
    assert paragraphs[1][0] == "tool offered: get_time"
    assert ("assistant: calls get_weather (call_1)", '{\n  "city": "Paris"\n}') in paragraphs
    assert ("tool: result of get_weather (call_1)", '{\n  "temp_c": 21,\n  "sky": "clear"\n}') in paragraphs
    roles = [role for role, _ in paragraphs]
    assert roles.index("assistant: calls get_weather (call_1)") < roles.index("tool: result of get_weather (call_1)")
    assert payload.data["response"] == '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Lyon", "unit": "celsius"}}\n</tool_call>'
    assert payload.as_import("correction")["predictions"][0]["result"][0]["value"]["text"] == [payload.data["response"]]


def test_personal_data_in_a_calls_arguments_is_redacted_before_it_leaves(expert):
    history = [{"role": "user", "content": "Email me the forecast."},
               {"role": "assistant", "content": "", "tool_calls": [call("send_mail", '{"to": "ana.lopez@example.com"}', "call_9")]},
               {"role": "tool", "tool_call_id": "call_9", "content": "sent to ana.lopez@example.com"}]  # fmt: skip
    tool_task(expert, route="labelstudio", history=history)
    (row,) = expert.tasks_to_push("correction", None)
    payload = task_payload(row, PiiPolicy(on_push="redact"), 0.5)
    shown = json.dumps(payload.data)
    assert "ana.lopez@example.com" not in shown and "<EMAIL_ADDRESS_1>" in shown
    assert "EMAIL_ADDRESS" in payload.redacted


def result_with(text: str) -> dict:
    return {"result": [
        {"from_name": "verdict", "to_name": "response", "type": "choices", "value": {"choices": ["corrected"]}},
        {"from_name": "correction", "to_name": "response", "type": "textarea", "value": {"text": [text]}},
    ], "lead_time": 12.0}  # fmt: skip


def test_a_pulled_correction_with_a_bad_call_is_a_reported_problem_and_a_good_one_an_answer(expert, project):
    task = tool_task(expert, route="labelstudio")
    (row,) = expert.tasks_to_push("correction", None)
    data = task_payload(row, PiiPolicy(on_push="allow"), 0.5).data
    tools = offered_tools(expert, [expert.task(task).record_id, None])  # what `pull` checks against
    unknown = response_text(None, [call("get_forecast", '{"city": "Lyon"}')])
    answer, problems = answer_from_result("correction", result_with(unknown), data, project.config.taxonomy, tools)
    assert answer is None
    assert problems == ["corrected_response: tool call 1 (get_forecast): unknown tool 'get_forecast' (offered: get_time, get_weather)"]
    answer, problems = answer_from_result("correction", result_with(GOOD), data, project.config.taxonomy, tools)
    assert problems == [] and answer.corrected_response == GOOD
    respaced = data["response"].replace('{"name": "get_weather", ', '{"name":"get_weather",')
    answer, problems = answer_from_result("correction", result_with(respaced), data, project.config.taxonomy, tools)
    assert problems == ["verdict is 'corrected' but the response was not edited"], "spacing is not an edit"


def test_a_masked_expert_sees_placeholders_in_tool_arguments(project):
    config = project.root / "flywheel.toml"
    config.write_text(config.read_text().replace('in_review = "show"', 'in_review = "mask"'))
    masked = Project(root=project.root, db_path=project.db_path)
    history = [{"role": "user", "content": "Email me the forecast."},
               {"role": "assistant", "content": "", "tool_calls": [call("send_mail", '{"to": "ana.lopez@example.com"}', "call_9")]},
               {"role": "tool", "tool_call_id": "call_9", "content": "sent"}]  # fmt: skip
    with masked.open_store() as store:
        add_annotator(store, EXPERT)
        tool_task(store, history=history)
        view = next_task(store, EXPERT)
    arguments = view.messages[1]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(arguments) == {"to": "<EMAIL_ADDRESS_1>"}
