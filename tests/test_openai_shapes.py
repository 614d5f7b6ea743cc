"""Lines exactly as the official `openai` SDK writes them (tests/data/openai, made by each release's
own classes: see its README) ingest whole, keeping every part of the interaction: tool-call and
refusal answers, content parts, per-token logprobs, agent histories and the Responses API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.config import IngestLimits
from annotate.ingest import ingest_files
from annotate.ingest.normalise import record_from_json_line
from annotate.text.tool_calls import split_response
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "data" / "openai"
RELEASES = sorted(FIXTURES.glob("openai-*.jsonl"))
CASES = json.loads((FIXTURES / "cases.json").read_text())


def test_there_is_a_file_for_each_major_release_including_the_current_one():
    versions = {path.stem.removeprefix("openai-").split(".")[0] for path in RELEASES}
    assert {"1", "2", "3"} <= versions


@pytest.fixture(params=RELEASES, ids=lambda path: path.stem)
def ingested(request, store, tmp_path) -> tuple[Path, dict[str, dict]]:
    """Each line of one release's file ingested as its own source (variants of a case share the
    SDK's id, which would otherwise make them one record), by case name."""
    texts = request.param.read_text().splitlines()
    assert len([text for text in texts if text.strip()]) == len(CASES["lines"])
    rows = {}
    for case, number in CASES["lines"].items():
        single = tmp_path / f"{case}.jsonl"
        single.write_text(texts[number - 1] + "\n")
        summary = ingest_files(store, [single], source=case, limits=IngestLimits(keep_token_logprobs=True), rejects_dir=tmp_path)
        assert summary.total("rejected") == 0, [p.read_text() for p in tmp_path.glob("*.rejects.jsonl")]
        found = list(store.db.query("SELECT * FROM records WHERE source = ?", [case]))
        rows[case] = found[0] if len(found) == 1 else None
    return request.param, rows


def _calls(row: dict) -> list[dict]:
    return [{"id": c.get("id"), "name": c["function"]["name"], "arguments": c["function"]["arguments"]}
            for c in json.loads(row["tool_calls"] or "[]")]  # fmt: skip


def test_every_line_of_every_release_ingests_with_nothing_rejected(ingested):
    path, rows = ingested
    assert all(row is not None for row in rows.values()), path


def test_text_answers_keep_the_model_time_and_id(ingested):
    _, rows = ingested
    case = CASES["cases"]["a_text"]
    row = rows["a_text"]
    assert row["response"] == case["response"] and row["model_name"] == case["model"]
    assert row["external_id"] == case["external_id"] and row["created_at"].startswith("2026-01-01")
    for name in ("a_text_request_response", "a_text_to_dict", "i_request_metadata"):
        assert rows[name]["response"] == CASES["cases"][name]["response"]


def test_a_tool_call_answer_is_kept_as_the_calls_with_the_tools_offered(ingested):
    _, rows = ingested
    for name in ("b_tool_call", "b_tool_call_request_response"):
        case, row = CASES["cases"][name], rows[name]
        assert _calls(row) == [{"id": c["id"], "name": c["name"], "arguments": c["arguments"]} for c in case["tool_calls"]]
        assert [tool["function"]["name"] for tool in json.loads(row["tools"])] == case["tools_offered"]
        shown = split_response(row["response"])
        assert shown.content == "" and [call.name for call in shown.calls] == ["get_weather"]
        assert shown.calls[0].arguments == json.loads(case["tool_calls"][0]["arguments"])
    assert json.loads(rows["b_tool_call"]["metadata"])["finish_reason"] == "tool_calls"
    parallel = CASES["cases"]["b_parallel_tool_calls"]["tool_calls"]
    assert _calls(rows["b_parallel_tool_calls"]) == parallel
    assert len(split_response(rows["b_parallel_tool_calls"]["response"]).calls) == 2


def test_a_refusal_is_a_first_class_field_and_the_text_shown(ingested):
    _, rows = ingested
    refusal = CASES["cases"]["c_refusal"]["refusal"]
    assert rows["c_refusal"]["refusal"] == refusal and rows["c_refusal"]["response"] == refusal


def test_images_and_audio_are_kept_as_references_never_as_data(ingested):
    _, rows = ingested
    case = CASES["cases"]["d_content_parts"]
    row = rows["d_content_parts"]
    user = next(m for m in json.loads(row["messages"]) if m["role"] == "user")
    assert user["content"].startswith(case["text"])
    url, inline, audio = case["attachments"]
    assert f"[image: {url['url']}]" in user["content"]
    assert f"[image: inline image/png, {inline['data_chars']:,} characters]" in user["content"]
    kept = user["attachments"]
    assert kept[0] == {"type": "image", "url": url["url"], "detail": "high"}
    assert kept[1]["data_chars"] == inline["data_chars"] and kept[1]["sha256"] == inline["sha256_of_base64"]
    assert kept[2]["type"] == "audio" and kept[2]["media_type"] == "audio/wav" and kept[2]["data_chars"] == audio["data_chars"]
    assert "base64," not in row["messages"]  # the inline data itself is not stored


def test_per_token_logprobs_give_mean_and_min_and_are_kept_when_asked(ingested):
    _, rows = ingested
    case, row = CASES["cases"]["e_logprobs"], rows["e_logprobs"]
    assert row["logprob_mean"] == pytest.approx(case["mean"], abs=1e-4) and row["logprob_min"] == case["min"]
    assert json.loads(row["token_logprobs"]) == case["token_logprobs"]


def test_an_agent_history_keeps_calls_results_and_refusals_in_order(ingested):
    _, rows = ingested
    case, row = CASES["cases"]["f_agent_history"], rows["f_agent_history"]
    history = json.loads(row["messages"])
    assert [m["role"] for m in history] == case["roles"]
    call = history[case["history_tool_call"]["turn"]]["tool_calls"][0]
    assert call["id"] == case["history_tool_call"]["id"] and call["function"]["name"] == case["history_tool_call"]["name"]
    result = history[case["tool_result"]["turn"]]
    assert result["tool_call_id"] == case["tool_result"]["tool_call_id"] and result["content"] == case["tool_result"]["content"]
    assert row["response"] == case["response"]
    refused = CASES["cases"]["g_history_refusal"]
    turn = json.loads(rows["g_history_refusal"]["messages"])[refused["history_refusal"]["turn"]]
    assert turn["refusal"] == refused["history_refusal"]["refusal"]


def test_request_metadata_survives_beside_the_sdk_s_null(ingested):
    _, rows = ingested
    metadata = json.loads(rows["i_request_metadata_request_response"]["metadata"])
    assert CASES["cases"]["i_request_metadata_request_response"]["request_metadata"].items() <= metadata.items()


def test_the_responses_api_maps_input_output_calls_and_reasoning(ingested):
    _, rows = ingested
    text = CASES["cases"]["h_responses_text"]
    row = rows["h_responses_text"]
    history = json.loads(row["messages"])
    assert row["response"] == text["response"] and history[0] == {"role": "system", "content": text["instructions"]}
    called = CASES["cases"]["h_responses_function_call"]
    assert [(c["name"], c["arguments"], c["id"]) for c in _calls(rows["h_responses_function_call"])] == [
        (c["name"], c["arguments"], c["id"]) for c in called["tool_calls"]]
    assert [t["function"]["name"] for t in json.loads(rows["h_responses_function_call"]["tools"])] == called["tools_offered_flat"]
    reasoning = CASES["cases"]["h_responses_reasoning"]
    assert rows["h_responses_reasoning"]["reasoning"] == reasoning["reasoning"]
    assert rows["h_responses_reasoning"]["response"] == reasoning["response"]
    tool_history = CASES["cases"]["h_responses_tool_history"]
    history = json.loads(rows["h_responses_tool_history"]["messages"])
    call_turn = next(m for m in history if m.get("tool_calls"))
    assert call_turn["tool_calls"][0]["id"] == tool_history["history_tool_call"]["id"]
    result = next(m for m in history if m["role"] == "tool")
    assert result["tool_call_id"] == tool_history["tool_result"]["tool_call_id"]
    assert rows["h_responses_tool_history"]["response"] == tool_history["response"]


def test_an_empty_answer_is_still_rejected_naming_the_response(tmp_path):
    line = {"messages": [{"role": "user", "content": "hi"}],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "refusal": None, "tool_calls": None}}]}
    problem = record_from_json_line(json.dumps(line), IngestLimits())
    assert problem.field == "response" and "empty" in problem.reason


def test_a_malformed_tool_call_is_rejected_naming_the_call():
    line = {"messages": [{"role": "user", "content": "hi"}],
            "choices": [{"message": {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]}}]}
    problem = record_from_json_line(json.dumps(line), IngestLimits())
    assert problem.field == "tool_calls[0].function.name" and "required" in problem.reason.lower()


def test_invalid_json_arguments_are_kept_as_written_so_the_flagger_can_see_them():
    line = {"messages": [{"role": "user", "content": "hi"}],
            "choices": [{"message": {"role": "assistant", "content": None,
                                     "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{city: Paris"}}]}}]}
    record = record_from_json_line(json.dumps(line), IngestLimits())
    assert record.tool_calls[0].function.arguments == "{city: Paris"
    assert split_response(record.response).calls[0].arguments_error


def test_a_table_row_keeps_its_tool_calls_and_tools_given_as_json_cells(store, tmp_path):
    import csv

    path = tmp_path / "calls.csv"
    calls = [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["prompt", "response", "tool_calls", "tools", "refusal"])
        writer.writerow(["Weather in Paris?", "", json.dumps(calls), json.dumps(tools), ""])
        writer.writerow(["Rob a bank for me", "", "", "", "I can't help with that."])
    summary = ingest_files(store, [path], rejects_dir=tmp_path)
    assert (summary.total("ingested"), summary.total("rejected")) == (2, 0)
    rows = {row["refusal"] is not None: row for row in store.db.query("SELECT * FROM records")}
    assert json.loads(rows[False]["tool_calls"])[0]["function"]["name"] == "get_weather" and json.loads(rows[False]["tools"]) == tools
    assert split_response(rows[False]["response"]).calls[0].arguments == {"city": "Paris"}
    assert rows[True]["response"] == rows[True]["refusal"] == "I can't help with that."


def test_a_record_format_line_with_only_a_refusal_or_calls_takes_them_as_its_text():
    refused = record_from_json_line(json.dumps({"messages": [{"role": "user", "content": "x"}], "response": "", "refusal": "No."}), IngestLimits())
    assert (refused.response, refused.refusal) == ("No.", "No.")
    message = {"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]}
    called = record_from_json_line(json.dumps({"messages": [{"role": "user", "content": "x"}], "response": message}), IngestLimits())
    assert called.tool_calls[0].function.arguments == '{"a":1}' and split_response(called.response).calls[0].arguments == {"a": 1}


def test_a_streaming_chunk_is_rejected_saying_what_to_log_instead():
    chunk = {"id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
             "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]}
    problem = record_from_json_line(json.dumps({"messages": [{"role": "user", "content": "hi"}], **chunk}), IngestLimits())
    assert problem.field == "object" and "assembled completion" in problem.reason


def test_legacy_completions_and_extra_choices_are_kept():
    legacy = {"prompt": "Say hi", "object": "text_completion", "choices": [{"text": " hi", "index": 0, "finish_reason": "stop"}]}
    record = record_from_json_line(json.dumps(legacy), IngestLimits())
    assert record.response == " hi" and record.messages[0].content == "Say hi"
    two = {"messages": [{"role": "user", "content": "x"}], "choices": [{"message": {"role": "assistant", "content": "a"}},
                                                                       {"message": {"role": "assistant", "content": "b"}}]}
    kept = record_from_json_line(json.dumps(two), IngestLimits())
    assert kept.response == "a" and kept.metadata["other_choices"][0]["message"]["content"] == "b"
