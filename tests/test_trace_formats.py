"""Trace exports (OpenTelemetry GenAI, OpenInference, Langfuse, LangSmith) become one record per
model call, its conversation in order, from each format's documented attribute names."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from annotate.cli import app
from annotate.errors import IngestError
from annotate.ingest import ingest_files
from annotate.ingest.readers import detect_format
from annotate.project import init_project
from annotate.text.tool_calls import split_response
from tests.fuzzing import FUZZ, odd_values

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "sample" / "formats"
T0 = 1_795_252_443_000_000_000  # nanoseconds since the epoch: 2026-11-21T09:14:03Z
SYSTEM = "You are Ledgerly's billing assistant."
QUESTION = "Is invoice INV-7 paid?"
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_invoice", "arguments": '{"invoice_id": "INV-7"}'}}
RESULT = '{"status": "overdue"}'
ANSWER = "INV-7 is overdue."
TOOL = {"type": "function", "function": {"name": "get_invoice", "parameters": {"type": "object", "properties": {"invoice_id": {"type": "string"}}}}}


def stored(store) -> list[dict]:
    rows = list(store.db.query("SELECT * FROM records ORDER BY created_at"))
    for row in rows:
        for key in ("messages", "metadata", "tool_calls", "tools"):
            row[key] = json.loads(row[key]) if row[key] else row[key]
    return rows


def rejects(summary) -> list[dict]:
    path = summary.files[0].rejects_path
    return [json.loads(line) for line in Path(path).read_text().splitlines()] if path else []


def write(tmp_path: Path, name: str, lines: list) -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def ingested(store, tmp_path: Path, name: str, lines: list, fmt: str) -> list[dict]:
    """Write an export, check `--format auto` tells its format, ingest it whole: the stored records."""
    path = write(tmp_path, name, lines)
    assert detect_format(path) == fmt
    summary = ingest_files(store, [path])
    assert summary.exit_code == 0, rejects(summary)
    return stored(store)


def value(item):
    if isinstance(item, bool):
        return {"boolValue": item}
    if isinstance(item, int):
        return {"intValue": str(item)}
    if isinstance(item, list):
        return {"arrayValue": {"values": [value(element) for element in item]}}
    if isinstance(item, dict):
        return {"kvlistValue": {"values": [{"key": key, "value": value(element)} for key, element in item.items()]}}
    return {"stringValue": item if isinstance(item, str) else json.dumps(item)}


def span(span_id: str, name: str, start_ms: int, attributes: dict, *, trace="5b8efff798038103d269b633813fc60c",
         parent="eee19b7ec3c1b174", events=(), end_ms=None, status=None) -> dict:  # fmt: skip
    """An OTLP JSON span, as the Collector's file exporter writes it."""
    found = {"traceId": trace, "spanId": span_id, "parentSpanId": parent, "name": name, "kind": 3,
             "startTimeUnixNano": str(T0 + start_ms * 1_000_000), "endTimeUnixNano": str(T0 + (end_ms or start_ms + 500) * 1_000_000),
             "attributes": [{"key": key, "value": value(item)} for key, item in attributes.items()],
             "events": [{"name": name, "timeUnixNano": str(T0), "attributes": [{"key": k, "value": value(v)} for k, v in attrs.items()]}
                        for name, attrs in events], "status": status or {}}  # fmt: skip
    return found


def request(*spans: dict) -> dict:
    return {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "billing-agent"}}]},
                               "scopeSpans": [{"scope": {"name": "test"}, "spans": list(spans)}]}]}  # fmt: skip


def genai_chat(span_id: str, start_ms: int, output: list, messages: list | None = None, **extra) -> dict:
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
                  "gen_ai.response.model": "gpt-4o-mini-2024-07-18", "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 9,
                  "gen_ai.system_instructions": json.dumps([{"type": "text", "content": SYSTEM}]),
                  "gen_ai.output.messages": json.dumps(output), "gen_ai.tool.definitions": json.dumps([TOOL]), **extra}  # fmt: skip
    if messages is not None:
        attributes["gen_ai.input.messages"] = json.dumps(messages)
    return span(span_id, "chat gpt-4o-mini", start_ms, attributes)


USER_PARTS = {"role": "user", "parts": [{"type": "text", "content": QUESTION}]}
CALL_PARTS = {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "get_invoice", "arguments": {"invoice_id": "INV-7"}}],
              "finish_reason": "tool_call"}  # fmt: skip
ANSWER_PARTS = {"role": "assistant", "parts": [{"type": "text", "content": ANSWER}], "finish_reason": "stop"}
EXECUTE = span("bbbbbbbbbbbbbbb2", "execute_tool get_invoice", 1000, {
    "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_invoice", "gen_ai.tool.call.id": "call_1",
    "gen_ai.tool.call.arguments": '{"invoice_id": "INV-7"}', "gen_ai.tool.call.result": RESULT})  # fmt: skip


def test_otel_genai_spans_give_one_record_per_model_call_with_ids_tools_model_and_metadata(store, tmp_path):
    first = genai_chat("aaaaaaaaaaaaaaa1", 0, [CALL_PARTS], [USER_PARTS])
    last = genai_chat("ccccccccccccccc3", 2000, [ANSWER_PARTS], [USER_PARTS, CALL_PARTS,
                      {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": RESULT}]}])  # fmt: skip
    summary = ingest_files(store, [write(tmp_path, "otel.jsonl", [request(first, EXECUTE, last)])])
    assert summary.exit_code == 0 and summary.files[0].format == "otel"
    calls, final = stored(store)
    assert calls["external_id"] == "5b8efff798038103d269b633813fc60c:aaaaaaaaaaaaaaa1"
    assert (calls["trace_id"], calls["span_id"]) == ("5b8efff798038103d269b633813fc60c", "aaaaaaaaaaaaaaa1")
    assert calls["messages"] == [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
    assert calls["tool_calls"][0]["function"] == {"name": "get_invoice", "arguments": '{"invoice_id": "INV-7"}'}
    assert split_response(calls["response"]).calls[0].arguments == {"invoice_id": "INV-7"}
    assert calls["tools"] == [TOOL] and calls["model_name"] == "gpt-4o-mini-2024-07-18"
    assert calls["created_at"] == "2026-11-21T09:14:03+00:00"
    metadata = final["metadata"]
    assert metadata["attributes"]["gen_ai.usage.input_tokens"] == 120 and metadata["parent_span_id"] == "eee19b7ec3c1b174"
    assert metadata["latency_ms"] == 500.0 and metadata["resource"] == {"service.name": "billing-agent"}
    assert "gen_ai.input.messages" not in metadata["attributes"]  # it is the record's messages now
    assert final["response"] == ANSWER and final["messages"][-1] == {"role": "tool", "content": RESULT, "tool_call_id": "call_1",
                                                                    "name": "get_invoice"}  # fmt: skip


def test_an_agent_trace_whose_calls_record_no_input_becomes_one_conversation_in_start_time_order(store, tmp_path):
    # Only the outputs were recorded; the spans are written out of order, as exporters batch them.
    agent = span("eee19b7ec3c1b174", "invoke_agent billing", -10, {
        "gen_ai.operation.name": "invoke_agent", "gen_ai.input.messages": json.dumps([USER_PARTS])}, parent=None, end_ms=3000)  # fmt: skip
    first = genai_chat("aaaaaaaaaaaaaaa1", 0, [CALL_PARTS])
    last = genai_chat("ccccccccccccccc3", 2000, [ANSWER_PARTS])
    summary = ingest_files(store, [write(tmp_path, "agent.jsonl", [request(last, EXECUTE), request(agent, first)])])
    assert summary.exit_code == 0
    calls, final = stored(store)
    assert [message["role"] for message in final["messages"]] == ["system", "user", "assistant", "tool"]
    assert final["messages"][1]["content"] == QUESTION
    assert final["messages"][2]["tool_calls"][0]["function"]["name"] == "get_invoice"
    assert final["messages"][3] == {"role": "tool", "content": RESULT, "tool_call_id": "call_1", "name": "get_invoice"}
    assert final["response"] == ANSWER
    assert final["metadata"]["history_rebuilt_from"] == ["eee19b7ec3c1b174", "aaaaaaaaaaaaaaa1", "bbbbbbbbbbbbbbb2"]
    assert calls["messages"] == [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]


def test_a_tool_run_without_a_call_id_answers_the_open_call_of_its_name(store, tmp_path):
    untagged = span("bbbbbbbbbbbbbbb2", "execute_tool get_invoice", 1000, {
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_invoice", "gen_ai.tool.call.result": RESULT})  # fmt: skip
    chats = [genai_chat("aaaaaaaaaaaaaaa1", 0, [CALL_PARTS], [USER_PARTS]), genai_chat("ccccccccccccccc3", 2000, [ANSWER_PARTS])]
    ingest_files(store, [write(tmp_path, "t.jsonl", [request(chats[0], untagged, chats[1])])])
    assert stored(store)[1]["messages"][-1]["tool_call_id"] == "call_1"


def test_two_calls_of_one_tool_at_once_are_answered_by_the_runs_with_the_same_arguments(store, tmp_path):
    both = {"role": "assistant", "parts": [{"type": "tool_call", "id": f"call_{n}", "name": "get_invoice", "arguments": {"invoice_id": f"INV-{n}"}}
                                           for n in (7, 8)]}  # fmt: skip
    runs = [span(f"bbbbbbbbbbbbbbb{n}", "execute_tool get_invoice", 1010 - n, {"gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "get_invoice", "gen_ai.tool.call.arguments": json.dumps({"invoice_id": f"INV-{n}"}),
            "gen_ai.tool.call.result": f"INV-{n}: paid"}) for n in (8, 7)]  # fmt: skip
    chats = [genai_chat("aaaaaaaaaaaaaaa1", 0, [both], [USER_PARTS]), genai_chat("ccccccccccccccc3", 2000, [ANSWER_PARTS])]
    ingest_files(store, [write(tmp_path, "t.jsonl", [request(chats[0], *runs, chats[1])])])
    results = {turn["tool_call_id"]: turn["content"] for turn in stored(store)[1]["messages"] if turn["role"] == "tool"}
    assert results == {"call_7": "INV-7: paid", "call_8": "INV-8: paid"}


def test_the_older_event_based_otel_convention_is_read_from_span_events(store, tmp_path):
    def event(name, body):
        return name, {"gen_ai.system": "openai", "gen_ai.event.content": json.dumps(body)}

    chat = span("aaaaaaaaaaaaaaa1", "chat gpt-4o-mini", 0, {"gen_ai.operation.name": "chat", "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o-mini"}, events=[
        event("gen_ai.system.message", {"content": SYSTEM}), event("gen_ai.user.message", {"content": QUESTION}),
        event("gen_ai.assistant.message", {"tool_calls": [CALL]}), event("gen_ai.tool.message", {"content": RESULT, "id": "call_1"}),
        event("gen_ai.choice", {"index": 0, "finish_reason": "stop", "message": {"content": ANSWER}}),
        ("exception", {"exception.message": "retried once"})])  # fmt: skip
    summary = ingest_files(store, [write(tmp_path, "events.jsonl", [request(chat)])])
    assert summary.exit_code == 0
    (row,) = stored(store)
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant", "tool"]
    assert row["messages"][2]["tool_calls"] == [CALL] and row["messages"][3]["tool_call_id"] == "call_1"
    assert row["response"] == ANSWER and row["model_name"] == "gpt-4o-mini"
    assert row["metadata"]["finish_reason"] == "stop"
    assert row["metadata"]["events"][0]["name"] == "exception"  # an event no field takes is kept


def test_gen_ai_events_written_as_log_records_are_read_as_events_of_their_span(store, tmp_path):
    def log(name, body):
        return {"timeUnixNano": str(T0), "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "aaaaaaaaaaaaaaa1", "eventName": name,
                "body": {"kvlistValue": {"values": [{"key": key, "value": value(item)} for key, item in body.items()]}}}  # fmt: skip

    chat = span("aaaaaaaaaaaaaaa1", "chat gpt-4o-mini", 0, {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"})
    logs = {"resourceLogs": [{"scopeLogs": [{"logRecords": [log("gen_ai.user.message", {"content": QUESTION}),
            log("gen_ai.choice", {"index": 0, "finish_reason": "stop", "message": {"content": ANSWER}})]}]}]}  # fmt: skip
    summary = ingest_files(store, [write(tmp_path, "otel.jsonl", [request(chat), logs])], fmt="otel")
    assert summary.exit_code == 0
    (row,) = stored(store)
    assert row["messages"] == [{"role": "user", "content": QUESTION}] and row["response"] == ANSWER


def openinference_llm(span_id: str, start_ms: int, messages: list[dict], output: dict) -> dict:
    attributes = {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini", "llm.token_count.prompt": 80,
                  "llm.tools.0.tool.json_schema": json.dumps(TOOL), "input.value": "{...}", "output.value": "{...}"}  # fmt: skip
    for prefix, items in (("llm.input_messages", messages), ("llm.output_messages", [output])):
        for index, message in enumerate(items):
            for key, item in message.items():
                if key == "tool_calls":
                    for number, call in enumerate(item):
                        base = f"{prefix}.{index}.message.tool_calls.{number}.tool_call"
                        attributes |= {f"{base}.id": call["id"], f"{base}.function.name": call["function"]["name"],
                                       f"{base}.function.arguments": call["function"]["arguments"]}  # fmt: skip
                else:
                    attributes[f"{prefix}.{index}.message.{key}"] = item
    return span(span_id, "ChatOpenAI", start_ms, attributes)


def test_openinference_llm_and_tool_spans_in_otlp_json(store, tmp_path):
    user = {"role": "user", "content": QUESTION}
    first = openinference_llm("aaaaaaaaaaaaaaa1", 0, [user], {"role": "assistant", "tool_calls": [CALL]})
    tool = span("bbbbbbbbbbbbbbb2", "get_invoice", 1000, {"openinference.span.kind": "TOOL", "tool.name": "get_invoice",
                "tool_call.id": "call_1", "input.value": '{"invoice_id": "INV-7"}', "output.value": RESULT})  # fmt: skip
    last = openinference_llm("ccccccccccccccc3", 2000, [user, {"role": "assistant", "tool_calls": [CALL]},
                             {"role": "tool", "content": RESULT, "tool_call_id": "call_1"}], {"role": "assistant", "content": ANSWER})  # fmt: skip
    calls, final = ingested(store, tmp_path, "oi.json", [request(first, tool, last)], "openinference")
    assert calls["tool_calls"] == [CALL] and calls["tools"] == [TOOL] and calls["model_name"] == "gpt-4o-mini"
    assert [m["role"] for m in final["messages"]] == ["user", "assistant", "tool"] and final["response"] == ANSWER
    assert final["metadata"]["attributes"]["llm.token_count.prompt"] == 80 and final["metadata"]["span_kind"] == "LLM"
    assert "input.value" not in final["metadata"]["attributes"]  # the raw request repeats the messages read


def test_phoenix_span_json_with_nested_attributes(store, tmp_path):
    def phoenix(span_id, kind, start, attributes, parent="root-span"):
        return {"name": kind.lower(), "context": {"trace_id": "trace-9", "span_id": span_id}, "span_kind": kind, "parent_id": parent,
                "start_time": f"2026-11-21T09:14:0{start}+00:00", "end_time": f"2026-11-21T09:14:0{start + 1}+00:00",
                "status_code": "OK", "status_message": "", "attributes": attributes, "events": []}  # fmt: skip

    agent = phoenix("root-span", "AGENT", 0, {"input": {"value": QUESTION}}, parent=None)
    llm = phoenix("llm-1", "LLM", 1, {"llm": {"model_name": "gpt-4o-mini", "output_messages": [
        {"message": {"role": "assistant", "content": ANSWER}}]}, "session": {"id": "s-1"}})  # fmt: skip
    (row,) = ingested(store, tmp_path, "phoenix.jsonl", [agent, llm], "openinference")
    assert row["messages"] == [{"role": "user", "content": QUESTION}]  # the agent's input opens the conversation
    assert row["response"] == ANSWER and row["trace_id"] == "trace-9" and row["metadata"]["attributes"]["session.id"] == "s-1"


def test_langfuse_observations(store, tmp_path):
    def observation(oid, kind, start, **fields):
        return {"id": oid, "traceId": "lf-trace", "type": kind, "name": kind.lower(), "startTime": f"2026-11-21T09:14:0{start}.000Z",
                "endTime": f"2026-11-21T09:14:0{start}.800Z", "parentObservationId": "lf-root", "level": "DEFAULT", **fields}  # fmt: skip

    system, user = {"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}
    lines = [
        observation("lf-gen-1", "GENERATION", 1, input={"tools": [TOOL], "messages": [system, user]}, model="gpt-4o-mini",
                    output={"role": "assistant", "content": None, "tool_calls": [CALL]}, usage={"input": 80, "output": 9, "unit": "TOKENS"}),
        observation("lf-tool-1", "TOOL", 2, name="get_invoice", input={"invoice_id": "INV-7"}, output=json.loads(RESULT)),
        observation("lf-gen-2", "GENERATION", 3, input=json.dumps([system, user, {"role": "assistant", "content": None, "tool_calls": [CALL]},
                    {"role": "tool", "tool_call_id": "call_1", "content": RESULT}]), output=ANSWER, model="gpt-4o-mini"),
    ]  # fmt: skip
    calls, final = ingested(store, tmp_path, "langfuse.jsonl", lines, "langfuse")
    assert calls["tools"] == [TOOL] and calls["tool_calls"] == [CALL] and calls["external_id"] == "lf-trace:lf-gen-1"
    assert calls["metadata"]["usage"] == {"input": 80, "output": 9, "unit": "TOKENS"} and calls["metadata"]["parent_span_id"] == "lf-root"
    assert [m["role"] for m in final["messages"]] == ["system", "user", "assistant", "tool"] and final["response"] == ANSWER


def test_langsmith_runs_with_langchain_serialised_messages(store, tmp_path):
    def lc(kind, **kwargs):
        return {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", kind], "kwargs": kwargs}

    human = lc("HumanMessage", content=QUESTION, type="human")
    ai_call = lc("AIMessage", content="", type="ai", tool_calls=[{"name": "get_invoice", "args": {"invoice_id": "INV-7"}, "id": "call_1"}],
                 usage_metadata={"input_tokens": 80, "output_tokens": 9})  # fmt: skip
    tool_message = lc("ToolMessage", content=RESULT, type="tool", name="get_invoice", tool_call_id="call_1")

    def run(rid, run_type, start, inputs, outputs, **fields):
        return {"id": rid, "trace_id": "ls-trace", "parent_run_id": "ls-root", "run_type": run_type, "name": run_type,
                "start_time": f"2026-11-21T09:14:0{start}.000000", "end_time": f"2026-11-21T09:14:0{start}.500000",
                "inputs": inputs, "outputs": outputs, **fields}  # fmt: skip

    lines = [
        run("ls-llm-1", "llm", 1, {"messages": [[human]]}, {"generations": [[{"text": "", "message": ai_call}]]},
            extra={"invocation_params": {"model": "gpt-4o-mini", "tools": [TOOL]}}),
        run("ls-tool-1", "tool", 2, {"input": '{"invoice_id": "INV-7"}'}, {"output": tool_message}),
        run("ls-llm-2", "llm", 3, {"messages": [[human, ai_call, tool_message]]},
            {"generations": [[{"text": ANSWER, "message": lc("AIMessage", content=ANSWER, type="ai")}]]}),
    ]  # fmt: skip
    calls, final = ingested(store, tmp_path, "langsmith.jsonl", lines, "langsmith")
    assert calls["tool_calls"][0]["function"]["name"] == "get_invoice" and calls["tools"] == [TOOL]
    assert json.loads(calls["tool_calls"][0]["function"]["arguments"]) == {"invoice_id": "INV-7"}
    assert calls["metadata"]["output_details"]["usage_metadata"] == {"input_tokens": 80, "output_tokens": 9}
    assert calls["model_name"] == "gpt-4o-mini"
    assert final["messages"][2] == {"role": "tool", "content": RESULT, "name": "get_invoice", "tool_call_id": "call_1"}
    assert final["response"] == ANSWER


def test_format_auto_tells_each_trace_export_by_content_and_plain_lines_stay_jsonl(tmp_path):
    expected = {"otel-genai.jsonl": "otel", "openinference-otlp.json": "openinference", "openinference-phoenix.jsonl": "openinference",
                "langfuse-observations.jsonl": "langfuse", "langsmith-runs.jsonl": "langsmith",
                "openai-chat-completions.jsonl": "jsonl", "openai-responses.jsonl": "jsonl"}  # fmt: skip
    assert {path.name: detect_format(path) for path in SAMPLES.glob("*.json*")} == expected
    record = write(tmp_path, "records.jsonl", [{"messages": [{"role": "user", "content": "hi"}], "response": "hello"}])
    completion = write(tmp_path, "openai.ndjson", [{"messages": [{"role": "user", "content": "hi"}], "id": "chatcmpl-1",
                                                    "object": "chat.completion", "choices": [{"message": {"content": "hello"}}]}])  # fmt: skip
    assert detect_format(record) == detect_format(completion) == "jsonl"
    assert detect_format(SAMPLES / "langsmith-runs.jsonl", "otel") == "otel"  # a named format is taken as named


def test_reingesting_a_trace_export_adds_nothing(store):
    path = SAMPLES / "otel-genai.jsonl"
    first = ingest_files(store, [path])
    again = ingest_files(store, [path])
    assert first.total("ingested") == 5
    assert (again.total("ingested"), again.total("present"), again.exit_code) == (0, 5, 0)
    assert store.record_count() == 5


def test_a_broken_span_is_rejected_with_file_line_and_field_and_the_rest_is_kept(store, tmp_path):
    broken = genai_chat("ccccccccccccccc3", 2000, [ANSWER_PARTS], [USER_PARTS])
    broken["attributes"] = [{"key": "gen_ai.input.messages", "value": {"stringValue": "[{not json"}} if pair["key"] == "gen_ai.input.messages"
                            else pair for pair in broken["attributes"]]  # fmt: skip
    no_output = genai_chat("ddddddddddddddd4", 3000, [], [USER_PARTS])
    good = genai_chat("aaaaaaaaaaaaaaa1", 0, [CALL_PARTS], [USER_PARTS])
    path = write(tmp_path, "mixed.jsonl", [request(good), request(EXECUTE, broken, no_output)])
    summary = ingest_files(store, [path])
    assert (summary.total("ingested"), summary.total("rejected"), summary.exit_code) == (1, 2, 3)
    bad, empty = rejects(summary)
    assert (bad["file"], bad["line"]) == (str(path), 2)
    assert bad["field"] == "resourceSpans[0].scopeSpans[0].spans[1].attributes.gen_ai.input.messages"
    assert bad["reason"].startswith("not valid JSON")
    assert empty["field"] == "resourceSpans[0].scopeSpans[0].spans[2].attributes.gen_ai.output.messages"
    assert "no output" in empty["reason"]


def test_a_span_in_a_pretty_printed_export_is_named_by_the_line_where_it_is_written(store, tmp_path):
    blank_answer = genai_chat("ccccccccccccccc3", 2000, [{"role": "assistant", "parts": [{"type": "text", "content": "  "}]}], [USER_PARTS])
    path = tmp_path / "export.json"
    path.write_text(json.dumps(request(genai_chat("aaaaaaaaaaaaaaa1", 0, [CALL_PARTS], [USER_PARTS]), blank_answer), indent=2))
    summary = ingest_files(store, [path])
    (reject,) = rejects(summary)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if '"spanId": "ccccccccccccccc3"' in text)
    assert reject["line"] == line
    assert reject["field"] == "resourceSpans[0].scopeSpans[0].spans[1].attributes.gen_ai.output.messages"
    assert reject["reason"] == "the record of this model call: response: must not be empty or blank"
    assert summary.total("ingested") == 1


def test_a_file_of_spans_without_a_model_call_says_so(store, tmp_path):
    path = write(tmp_path, "http.jsonl", [request(span("aaaaaaaaaaaaaaa1", "GET /invoices", 0, {"http.method": "GET"}))])
    summary = ingest_files(store, [path], fmt="otel")
    assert "none is a model call" in summary.files[0].error and summary.exit_code == 2


def test_a_mapping_is_refused_for_a_trace_export(store):
    summary = ingest_files(store, [SAMPLES / "langfuse-observations.jsonl"], mapping={"prompt": "input"})
    assert "--map applies to" in summary.files[0].error


@pytest.mark.parametrize("name", ["not-json.jsonl"])
def test_a_line_that_is_not_json_is_rejected_and_the_spans_after_it_kept(store, tmp_path, name):
    path = tmp_path / name
    path.write_text('{"resourceSpans": [\n' + json.dumps(request(genai_chat("aaaaaaaaaaaaaaa1", 0, [CALL_PARTS], [USER_PARTS]))) + "\n")
    summary = ingest_files(store, [path], fmt="otel")
    (reject,) = rejects(summary)
    assert reject["line"] == 1 and reject["reason"].startswith("malformed JSON")
    assert summary.total("ingested") == 1


def test_every_sample_file_ingests_through_the_command_with_no_rejects(project):
    files = sorted(str(path) for path in SAMPLES.glob("*.json*"))
    assert len(files) == 7  # five trace exports and two OpenAI logs
    result = subprocess.run([sys.executable, "-m", "annotate", "--project", str(project.root), "--quiet", "ingest", *files],
                            capture_output=True, text=True, cwd=SAMPLES.parent.parent.parent, env={**os.environ, "COLUMNS": "200"})  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    with project.open_store() as store:
        rows = stored(store)
    traced = [row for row in rows if row["trace_id"]]
    assert len(traced) == 17 and all(row["span_id"] for row in traced)
    assert sum(1 for row in traced if row["tool_calls"]) == 11  # five agent runs call two tools each; the older trace one
    assert len(rows) - len(traced) == 12  # the OpenAI lines: 8 chat completions, 4 Responses


def test_a_missing_trace_file_is_reported_as_missing(store, tmp_path):
    summary = ingest_files(store, [tmp_path / "absent.json"])
    assert "no such file" in summary.files[0].error


def test_an_unknown_format_name_lists_the_trace_formats(tmp_path):
    with pytest.raises(IngestError, match="otel, openinference, langfuse, langsmith"):
        detect_format(tmp_path / "x.jsonl", "zipkin")


def _paths(value, prefix=()):
    """Every place in a parsed JSON value, as a tuple of keys and indexes."""
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from _paths(child, (*prefix, key))


@pytest.fixture(scope="module")
def trace_fuzz_project(tmp_path_factory):
    return init_project(tmp_path_factory.mktemp("trace-fuzz") / "project", name="trace fuzz")


@FUZZ
@given(data=st.data())
def test_fuzzed_trace_exports_never_crash_and_every_reject_names_its_line(trace_fuzz_project, data, tmp_path_factory):
    sample = data.draw(st.sampled_from(sorted(SAMPLES.glob("*.json*"))))
    documents = [json.loads(line) for line in sample.read_text().splitlines()] if sample.suffix == ".jsonl" else [json.loads(sample.read_text())]
    document = documents[data.draw(st.integers(0, len(documents) - 1))]
    *parents, last = data.draw(st.sampled_from([path for path in _paths(document) if path]))
    target = document
    for key in parents:
        target = target[key]
    target[last] = data.draw(odd_values)
    folder = tmp_path_factory.mktemp("trace")
    path = folder / sample.name
    dump = [json.dumps(item, ensure_ascii=data.draw(st.booleans())) for item in documents]
    text = "\n".join(dump) + "\n" if sample.suffix == ".jsonl" else json.dumps(documents[0], indent=2)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    result = CliRunner().invoke(app, ["--project", str(trace_fuzz_project.root), "--quiet", "ingest", str(path), "--source", path.name,
                                      "--rejects", str(folder / "r.jsonl")], env={"COLUMNS": "200"}, catch_exceptions=False)  # fmt: skip
    assert result.exit_code in (0, 2, 3) and "Traceback" not in result.output, result.output
    lines = len(text.splitlines())
    for reject in [json.loads(line) for line in (folder / "r.jsonl").read_text().splitlines()] if (folder / "r.jsonl").exists() else []:
        assert reject["file"] == str(path) and 1 <= reject["line"] <= lines and reject["reason"]


def test_openllmetry_s_flattened_prompt_and_completion_attributes_are_read(store, tmp_path):
    first = span("aaaaaaaaaaaaaaa1", "openai.chat", 0, {
        "llm.request.type": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": SYSTEM,
        "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": QUESTION,
        "llm.request.functions.0.name": "get_invoice",
        "llm.request.functions.0.parameters": json.dumps(TOOL["function"]["parameters"]),
        "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.finish_reason": "tool_calls",
        "gen_ai.completion.0.tool_calls.0.id": "call_1", "gen_ai.completion.0.tool_calls.0.name": "get_invoice",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"invoice_id": "INV-7"}', "gen_ai.usage.prompt_tokens": 80})  # fmt: skip
    second = span("ccccccccccccccc3", "openai.chat", 2000, {
        "llm.request.type": "chat", "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": SYSTEM,
        "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": QUESTION,
        "gen_ai.prompt.2.role": "assistant", "gen_ai.prompt.2.tool_calls.0.id": "call_1",
        "gen_ai.prompt.2.tool_calls.0.name": "get_invoice", "gen_ai.prompt.2.tool_calls.0.arguments": '{"invoice_id": "INV-7"}',
        "gen_ai.prompt.3.role": "tool", "gen_ai.prompt.3.tool_call_id": "call_1", "gen_ai.prompt.3.content": RESULT,
        "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": ANSWER, "gen_ai.completion.0.finish_reason": "stop"})  # fmt: skip
    calls, final = ingested(store, tmp_path, "openllmetry.jsonl", [request(first, second)], "otel")
    assert calls["messages"] == [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
    assert calls["tool_calls"] == [CALL] and calls["tools"] == [TOOL] and calls["metadata"]["finish_reason"] == "tool_calls"
    assert final["messages"][2]["tool_calls"] == [CALL]
    assert final["messages"][3] == {"role": "tool", "content": RESULT, "tool_call_id": "call_1"}
    assert final["response"] == ANSWER and final["model_name"] == "gpt-4o-mini"
