"""The `tool_call` flagger on constructed calls, one rule at a time, through `run_flaggers` on a real
store; and the detector of tool results that report an error."""

import json

import pytest

from annotate.config import parse_config
from annotate.flagging import run_flaggers
from annotate.flagging.base import RecordView
from annotate.flagging.tool_calls import may_call_tools
from annotate.ingest import ingest_files
from annotate.text.tool_calls import response_text
from annotate.text.tool_results import mentions, tool_error
from tests.conftest import record

WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather now in a city.", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city"], "additionalProperties": False}}}  # fmt: skip
USER = {"role": "user", "content": "What's the weather in Paris?"}


def call(name="get_weather", arguments='{"city": "Paris"}', id="call_1"):
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


def answer(*calls, content=None, tools=(WEATHER,), messages=(USER,), **fields):
    """A record whose response calls `calls` (text: `content`, then a block a call)."""
    row = {"messages": list(messages), "response": response_text(content, list(calls)) or content, **fields}
    if calls:
        row["tool_calls"] = list(calls)
    if tools:
        row["tools"] = list(tools)
    return row


def calling(*calls, result, id_="call_1"):
    """A history in which the assistant made `calls` and the tool answered `result`."""
    return [USER, {"role": "assistant", "content": "", "tool_calls": list(calls)},
            {"role": "tool", "content": result, "tool_call_id": id_}]  # fmt: skip


def flags(store, project, *rows, config=None):
    """{external id: tool_call flag row} after ingesting `rows` (id = their position) and flagging."""
    path = project.root / "logs.jsonl"
    path.write_text("".join(json.dumps({"id": str(number), **row}) + "\n" for number, row in enumerate(rows)))
    ingest_files(store, [path])
    run_flaggers(store, config or project.config, project.root, only=["tool_call"])
    found = store.db.query("SELECT records.external_id, flags.* FROM flags JOIN records ON records.id = flags.record_id")
    return {int(row["external_id"]): row for row in found}


def test_records_without_tool_calls_are_passed_over_and_never_flagged(store, project):
    plain = record(feedback={"thumbs": "down"})
    assert flags(store, project, plain, answer(content="It is 21°C in Paris.")) == {}
    view = RecordView(messages=json.dumps(plain["messages"]), response=plain["response"], tool_calls=None)
    assert not may_call_tools(view)


def test_a_call_to_a_tool_that_was_not_offered_is_flagged_highest(store, project):
    found = flags(store, project, answer(call("lookup_order", '{"id": 7}')), answer(call()))
    assert set(found) == {0}
    assert found[0]["score"] == 1.0
    assert found[0]["detail"] == "calls unknown tool 'lookup_order' (offered: get_weather)"


def test_names_are_not_judged_when_the_log_records_no_function_tools(store, project):
    found = flags(store, project, answer(call("lookup_order", '{"id": 7}'), tools=()),
                  answer(call("lookup_order", '{"id": 7'), tools=()),
                  answer(call("lookup_order", '{"id": 7}'), tools=({"type": "web_search"},)))  # fmt: skip
    assert set(found) == {1}, "its arguments are still judged: they are not JSON whatever the tools"
    assert "unknown" not in found[1]["detail"]


def test_arguments_that_are_not_json_or_not_an_object_are_flagged(store, project):
    found = flags(store, project, answer(call(arguments='{"city": "Paris"')), answer(call(arguments='["Paris"]')))
    assert found[0]["score"] == found[1]["score"] == 1.0
    assert found[0]["detail"].startswith("calls get_weather with arguments that are not valid JSON (")
    assert found[1]["detail"] == "calls get_weather with arguments that are not a JSON object"


@pytest.mark.parametrize("arguments, problem", [
    ("{}", "'city' is a required property"),
    ('{"city": "Paris", "days": "three"}', "days: 'three' is not of type 'integer'"),
    ('{"city": "Paris", "units": "C"}', "Additional properties are not allowed ('units' was unexpected)"),
])  # fmt: skip
def test_arguments_that_break_the_tools_schema_are_flagged_with_what_breaks_it(store, project, arguments, problem):
    found = flags(store, project, answer(call(arguments=arguments)), answer(call(arguments='{"city": "Paris", "days": 3}')))
    assert set(found) == {0}
    assert found[0]["score"] == 0.9
    assert found[0]["detail"] == f"calls get_weather with arguments that do not match its schema: {problem}"


def test_the_same_call_twice_in_the_response_is_flagged_but_different_arguments_are_not(store, project):
    found = flags(
        store, project,
        answer(call(arguments='{"city": "Paris", "days": 2}'), call(arguments='{"days": 2, "city": "Paris"}', id="call_2")),
        answer(call(arguments='{"city": "Paris"}'), call(arguments='{"city": "Lyon"}', id="call_2")),
    )  # fmt: skip
    assert set(found) == {0}
    assert found[0]["score"] == 0.6
    assert found[0]["detail"] == 'calls get_weather {"days": 2, "city": "Paris"} twice in the response'  # the repeat, as written


def test_repeating_a_call_the_conversation_already_made_is_flagged_and_says_when_it_had_failed(store, project):
    found = flags(
        store, project,
        answer(call(id="call_2"), messages=calling(call(), result='{"temperature": 21}')),
        answer(call(id="call_2"), messages=calling(call(), result="Error: upstream timed out")),
        answer(call(arguments='{"city": "Lyon"}', id="call_2"), messages=calling(call(), result='{"temperature": 21}')),
    )  # fmt: skip
    assert set(found) == {0, 1}
    assert found[0]["detail"] == 'repeats the call get_weather {"city": "Paris"} made in message 2'
    assert found[1]["detail"] == 'repeats the call get_weather {"city": "Paris"} made in message 2, which returned an error'


def test_an_error_the_answer_ignores_is_flagged_and_one_it_acts_on_is_not(store, project):
    history = calling(call(), result='{"error": "city not found"}')
    found = flags(
        store, project,
        answer(content="It is 21°C and sunny in Paris.", messages=history),
        answer(content="Sorry, I couldn't get the weather for Paris just now.", messages=history),
        answer(call(arguments='{"city": "Paris, FR"}', id="call_2"), messages=history),
        answer(content="It is 21°C and sunny in Paris.", messages=calling(call(), result='{"temperature": 21}')),
    )  # fmt: skip
    assert set(found) == {0}
    assert found[0]["score"] == 0.8
    assert found[0]["detail"] == ('ignores the error get_weather returned ("error": "city not found"): the response '
                                  "neither retries nor tells the user")  # fmt: skip


def test_problems_in_earlier_turns_count_less_and_say_where_they_are(store, project):
    history = [*calling(call("get_forecast"), result="HTTP 503 Service Unavailable"),
               {"role": "assistant", "content": "It will be sunny all week."}, {"role": "user", "content": "And Lyon?"}]  # fmt: skip
    found = flags(store, project, answer(content="Lyon is sunny too.", messages=history))
    assert found[0]["score"] == pytest.approx(0.8)  # the unknown tool, 1.0, in an earlier turn
    assert found[0]["detail"] == (
        "earlier (message 2): calls unknown tool 'get_forecast' (offered: get_weather); "
        'earlier (message 4): ignores the error get_forecast returned (HTTP 503 Service Unavailable): neither retries '
        "nor tells the user"
    )  # fmt: skip


def test_the_worst_problem_sets_the_score_and_comes_first(store, project):
    found = flags(store, project, answer(call(), call(id="call_2"), call("lookup_order", id="call_3")))
    assert found[0]["score"] == 1.0
    assert found[0]["detail"] == ("calls unknown tool 'lookup_order' (offered: get_weather); "
                                  'calls get_weather {"city": "Paris"} twice in the response')  # fmt: skip


def test_a_response_text_with_call_blocks_is_read_when_the_log_has_no_tool_calls_field(store, project):
    blocks = 'Checking.\n<tool_call>\n{"name": "get_weather", "arguments": {}}\n</tool_call>\n<tool_call>\nnot json\n</tool_call>'
    found = flags(store, project, {"messages": [USER], "response": blocks, "tools": [WEATHER]})
    assert found[0]["detail"].startswith("the response has a tool call 2: not JSON (")
    assert "calls get_weather with arguments that do not match its schema: 'city' is a required property" in found[0]["detail"]


def test_the_checks_and_the_words_that_mention_an_error_are_the_projects_to_choose(store, project):
    config = parse_config('[flagging]\ntool_call_checks = ["ignored_error"]\ntool_error_mentions = ["désolé"]\n')
    history = calling(call("lookup_order"), result="Request failed with status 500")
    found = flags(
        store, project,
        answer(content="Sorry, something went wrong.", messages=history),
        answer(content="Désolé, le service est indisponible.", messages=history),
        answer(call("lookup_order", id="call_a"), call("lookup_order", id="call_b")),
        config=config,
    )  # fmt: skip
    assert set(found) == {0}, "the unknown tool and the repeat are not looked for; 'désolé' tells the user"
    run_flaggers(store, parse_config("[flagging]\ntool_call_checks = []\n"), project.root, only=["tool_call"], recheck=True)
    assert store.flag_counts() == [], "no checks, no flags: a re-check drops them"


@pytest.mark.parametrize("result", [
    '{"error": "city not found"}', '{"errors": [{"message": "bad token"}]}', '{"success": false, "data": null}',
    '{"status": "failed"}', '{"status_code": 404, "body": "no such city"}', '{"code": "503"}',
    "Error: city not found", "ValueError: days must be positive", "error city not found",
    "Traceback (most recent call last):\n  File ...", "Failed to connect to the weather service",
    "The request failed.", "upstream timed out after 30 s", "HTTP 404", "status: 500", "429 Too Many Requests",
])  # fmt: skip
def test_a_tool_result_that_reports_an_error_is_recognised(result):
    assert tool_error(result)


@pytest.mark.parametrize("result", [
    '{"temperature": 21, "summary": "error-free sky"}', '{"error": null, "temperature": 21}', '{"errors": []}',
    '{"status": "ok", "code": 200}', '{"description": "Error: this payment failed to clear"}',
    "No errors found.", "3 failed payments this month: #12, #19, #20", "Sunny, 21°C, wind 404 m from the coast",
    "Invoices: 12 open, 4 paid." + " Details follow." * 30 + " Error: none",
])  # fmt: skip
def test_a_tool_result_that_reports_data_is_not_an_error(result):
    assert tool_error(result) is None


def test_an_answer_mentions_a_problem_by_whole_words_in_any_case_and_either_apostrophe():
    words = ("couldn't", "error", "try again")
    assert mentions("I couldn\u2019t reach the service", words) == "couldn\u2019t".replace("\u2019", "'")
    assert mentions("Please TRY AGAIN later", words) == "TRY AGAIN"
    assert mentions("Terrorism is not a topic here", words) is None
    assert mentions("anything", ()) is None
