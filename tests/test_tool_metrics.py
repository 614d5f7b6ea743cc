"""Evaluation of tool use: answers' calls scored against the experts' reference calls on constructed
outputs (exact, wrong name, wrong value, extra or missing argument, key order, invalid JSON, no call,
a call where text was expected), each figure with its sample size and Wilson interval and absent
without tool-call references; eval rows with `tool_calls` and `tools` read; the tools reaching the chat
template; the gate refusing a clear fall and saying "not enough evidence" on a handful of examples;
and one real evaluation of the tiny model on a snapshot whose references call tools."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import pytest

from annotate.config import EvalGate
from annotate.errors import EvaluationError
from annotate.stats import wilson_interval
from annotate.text.tool_calls import response_text
from tests.conftest import REPO
from train.gate import gate_checks, outcomes
from train.tool_metrics import json_equal, output_fields, score, tool_metrics


def _call(name: str, arguments: dict | str, content: str = "") -> str:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return response_text(content, [{"type": "function", "function": {"name": name, "arguments": text}}])


REFERENCE = _call("get_weather", {"city": "Paris", "unit": "celsius"})


# --- one answer against its reference ------------------------------------------------------------


@pytest.mark.parametrize(("output", "called", "names", "exact", "matched"), [
    (REFERENCE, True, True, True, 2),
    (_call("get_weather", '{"unit":"celsius",   "city":"Paris"}'), True, True, True, 2),  # key order, spacing
    (_call("get_weather", {"city": "Paris", "unit": "celsius"}, content="Let me look."), True, True, True, 2),
    (_call("get_forecast", {"city": "Paris", "unit": "celsius"}), True, False, False, 0),  # wrong name: no argument counts
    (_call("get_weather", {"city": "paris", "unit": "celsius"}), True, True, False, 1),  # wrong value
    (_call("get_weather", {"city": "Paris", "unit": "celsius", "days": 3}), True, True, False, 2),  # extra argument
    (_call("get_weather", {"city": "Paris"}), True, True, False, 1),  # missing argument
    (_call("get_weather", '{"city": "Paris", unit: celsius}'), True, True, False, 0),  # arguments not JSON
    ("<tool_call>\n{get_weather(city=Paris)}\n</tool_call>", True, False, False, 0),  # a block that is not JSON
    ("It is sunny in Paris today.", False, False, False, 0),  # no call where one was expected
    (REFERENCE + "\n" + _call("get_time", {"city": "Paris"}), True, False, False, 2),  # one call too many
])  # fmt: skip
def test_each_answer_is_scored_on_its_call_its_function_names_and_its_arguments(output, called, names, exact, matched):
    result = score(output, REFERENCE)
    assert (result.expected_call, result.called, result.names, result.exact) == (True, called, names, exact)
    assert (result.arguments_matched, result.arguments) == (matched, 2)


def test_arguments_compare_as_json_values_where_a_boolean_is_never_a_number():
    assert json_equal({"a": [1, {"b": 2.0}], "c": None}, {"c": None, "a": [1.0, {"b": 2}]})
    assert not json_equal(True, 1) and not json_equal(0, False) and not json_equal("1", 1) and not json_equal([1, 2], [2, 1])
    as_number, as_boolean = _call("set_flag", {"on": 1}), _call("set_flag", {"on": True})
    assert score(as_number, as_boolean).exact is False


def test_a_call_where_the_experts_answered_in_text_is_counted_apart():
    result = score(_call("get_weather", {"city": "Paris"}), "Paris is sunny today.")
    assert (result.expected_call, result.called, result.names, result.exact) == (False, True, None, None)
    assert output_fields("Paris is sunny.", "Paris is sunny today.") == {}  # neither side calls: nothing to show
    shown = output_fields("Sure.", REFERENCE)["tool_calls"]
    assert shown["reference"] == [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}]
    assert shown["output"] == [] and shown["called"] is False and shown["names"] is False


# --- the figures over a set ---------------------------------------------------------------------------


def test_every_figure_has_its_sample_size_its_wilson_interval_and_each_example_in_place():
    references = [REFERENCE] * 5 + ["Paris is sunny.", "Hello!", "Anything else?"]
    outputs = [REFERENCE, REFERENCE, _call("get_weather", {"city": "London", "unit": "celsius"}), _call("get_time", {"city": "Paris"}),
               "I can't check the weather.", _call("get_weather", {"city": "Paris"}), "Hi!", "No."]  # fmt: skip
    metrics = tool_metrics(outputs, references)
    expected = {"tool_call_rate": (4, 5), "unexpected_tool_call_rate": (1, 3), "function_name_accuracy": (3, 5),
                "argument_exact_match": (2, 5), "argument_match": (5, 10)}  # fmt: skip
    for key, (count, n) in expected.items():
        metric = metrics[key]
        assert (metric.value, metric.n) == (pytest.approx(count / n), n), key
        assert (metric.detail["ci_low"], metric.detail["ci_high"]) == pytest.approx(wilson_interval(count, n)), key
    assert metrics["argument_match"].unit == "arguments" and metrics["argument_match"].detail["examples"] == 5
    assert metrics["function_name_accuracy"].per_example == [1, 1, 1, 0, 0, None, None, None]  # paired by index with other variants
    assert metrics["unexpected_tool_call_rate"].per_example == [None] * 5 + [1, 0, 0]
    assert metrics["argument_match"].per_example == [2, 2, 1, 0, 0, None, None, None]
    assert metrics["argument_match"].weights == [2, 2, 2, 2, 2, 0, 0, 0]
    assert metrics["tool_call_rate"].detail["confusion"] == {
        "reference_calls": {"called": 4, "answered_in_text": 1}, "reference_text": {"called": 1, "answered_in_text": 2},
        "malformed_answers": 0}  # fmt: skip


def test_without_a_tool_call_reference_there_is_no_tool_figure_at_all():
    assert tool_metrics([_call("get_weather", {"city": "Paris"}), "Hi"], ["Paris is sunny.", "Hello"]) == {}
    assert tool_metrics([], []) == {}


# --- the gate ------------------------------------------------------------------------------------------


def _variant(right: int, n: int = 40) -> dict:
    """Tool figures as report.json holds them: the first `right` of `n` answers call what the experts
    called, the rest call another function."""
    references = [_call("get_weather", {"city": f"city {i}", "unit": "celsius"}) for i in range(n)]
    outputs = [references[i] if i < right else _call("get_time", {"city": f"city {i}"}) for i in range(n)]
    return {key: metric.as_dict() for key, metric in tool_metrics(outputs, references).items()}


KINDS = {"base": "base", "sft-1": "adapter"}


def _tool_checks(variants: dict, kinds: dict = KINDS, gate: EvalGate = EvalGate()) -> dict:
    names = {"function names", "tool arguments", "per-argument match", "unexpected tool calls"}
    return {check.name: check for check in gate_checks(variants, kinds, gate) if check.name in names}


def test_the_gate_refuses_a_candidate_whose_function_names_clearly_fall():
    checks = _tool_checks({"base": _variant(36), "sft-1": _variant(10)})
    assert {name: check.status for name, check in checks.items()} == {
        "function names": "fail", "tool arguments": "fail", "per-argument match": "fail", "unexpected tool calls": "not_applicable"}
    names = checks["function names"]
    assert (names.value, names.reference, names.n) == (pytest.approx(0.25), pytest.approx(0.9), 40)
    assert names.ci_high < -0.05 and names.rule == "function-name accuracy at most 0.05 below base's"
    assert checks["per-argument match"].n == 80  # arguments, compared by resampling the 40 examples
    assert outcomes(list(gate_checks({"base": _variant(36), "sft-1": _variant(10)}, KINDS, EvalGate()))) == {"sft-1": "regression"}


def test_a_candidate_that_keeps_its_tool_calls_is_not_held_back_by_them():
    checks = _tool_checks({"base": _variant(20), "sft-1": _variant(40)})
    assert checks["function names"].status == "pass" and checks["tool arguments"].status == "pass"
    assert checks["per-argument match"].status == "pass"


def test_on_a_handful_of_tool_examples_the_gate_says_not_enough_evidence_not_fail():
    variants = {"base": _variant(4, n=4), "sft-1": _variant(0, n=4)}
    checks = _tool_checks(variants)
    names = checks["function names"]
    assert names.status == "inconclusive" and names.needed_n == 10 and "fewer than min_tool_examples (10)" in names.reason
    assert outcomes(gate_checks(variants, KINDS, EvalGate())) == {"sft-1": "not enough evidence"}
    assert _tool_checks(variants, gate=EvalGate(min_tool_examples=1))["function names"].status == "fail"  # the floor decided it


def test_tool_checks_compare_with_the_shipped_version_and_appear_only_where_references_call_tools():
    kinds = {"base": "base", "sft-live": "shipped", "sft-1": "adapter"}
    checks = _tool_checks({"base": _variant(0), "sft-live": _variant(40), "sft-1": _variant(30)}, kinds)
    assert checks["function names"].against == "sft-live" and checks["function names"].status == "fail"
    plain = {"base": {"chrf": {"value": 40.0, "n": 1}}, "sft-1": {"chrf": {"value": 41.0, "n": 1}}}
    assert _tool_checks(plain) == {}  # a set without tool calls: no tool check at all


# --- reading eval rows with tool calls ------------------------------------------------------------------


WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather now",
                                                  "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}  # fmt: skip


def _tool_rows() -> list[dict]:
    call = {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    history = [{"role": "user", "content": "Weather in Paris, then Rome?"},
               {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", **call}]},
               {"role": "tool", "tool_call_id": "c1", "name": "get_weather", "content": '{"sky": "sunny"}'}]  # fmt: skip
    return [
        {"id": "t1", "messages": [{"role": "user", "content": "Weather in Paris?"},
                                  {"role": "assistant", "content": "", "tool_calls": [call]}], "tools": [WEATHER_TOOL]},
        {"id": "t2", "messages": [*history, {"role": "assistant", "content": None, "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}]}],
         "tools": json.dumps([WEATHER_TOOL])},
        {"id": "t3", "messages": [*history, {"role": "assistant", "content": "Sunny in Paris."}],
         "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]},
        {"id": "t4", "messages": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi! How can I help?"}]},
    ]  # fmt: skip


def _snapshot(folder: Path, rows: list[dict], train: list[dict] | None = None) -> Path:
    """A hand-made SFT snapshot (what `flywheel export` would write, manifest and hashes)."""
    folder.mkdir(parents=True)
    files = {}
    for name, content in (("train.jsonl", train or rows[:1]), ("eval.jsonl", rows)):
        path = folder / name
        path.write_text("".join(json.dumps(row) + "\n" for row in content))
        files[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps({"name": "agent-sft", "version": 1, "kind": "sft", "files": files}))
    return folder


def test_an_sft_eval_row_s_tool_calls_become_the_reference_text_and_its_tools_stay_with_the_item(tmp_path):
    from train.eval_data import production_items
    from train.snapshot import open_snapshot

    items = production_items(open_snapshot(_snapshot(tmp_path / "snap", _tool_rows()), None))
    assert [item.id for item in items] == ["t1", "t2", "t3", "t4"]
    assert items[0].reference == _call("get_weather", {"city": "Paris"})
    assert items[1].reference == _call("get_weather", {"city": "Rome"})  # arguments given as JSON text
    assert items[0].tools == [WEATHER_TOOL] and items[1].tools == [WEATHER_TOOL]  # a list, or its JSON text
    assert items[2].tools == [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    assert items[3].tools is None and items[3].reference == "Hi! How can I help?"
    assistant, tool = items[2].prompt[1], items[2].prompt[2]
    assert assistant["content"] == "" and assistant["tool_calls"][0]["function"]["arguments"] == {"city": "Paris"}
    assert tool == {"role": "tool", "content": '{"sky": "sunny"}', "tool_call_id": "c1", "name": "get_weather"}


@pytest.mark.parametrize(("change", "field"), [
    ({"tools": "not json"}, "tools"),
    ({"tools": [{"type": "function", "function": {"description": "no name"}}]}, "tools[0].function.name"),
    ({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": None, "tool_calls": [{"function": {}}]}]},
     "messages[1].tool_calls[0].function.name"),
    ({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": None}]}, "messages[1].content"),
])  # fmt: skip
def test_a_bad_tool_call_or_tool_list_is_refused_naming_the_file_line_and_field(tmp_path, change, field):
    from train.eval_data import production_items
    from train.snapshot import open_snapshot

    rows = _tool_rows()
    rows[1] = {**rows[1], **change}
    with pytest.raises(EvaluationError) as refused:
        production_items(open_snapshot(_snapshot(tmp_path / "snap", rows), None))
    assert f"eval.jsonl:2: {field}:" in str(refused.value)


# --- the chat template sees the tools -------------------------------------------------------------------


PLAIN_CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
TOOL_TEMPLATE = (
    "{% if tools %}<|im_start|>system\nTools:{% for tool in tools %} {{ tool.function.name }}{% endfor %}<|im_end|>\n{% endif %}"
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}"
    "{% for call in m.tool_calls or [] %}<tool_call>{{ call.function | tojson }}</tool_call>{% endfor %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)  # fmt: skip


def test_offered_tools_reach_a_tool_calling_template_and_earlier_calls_are_shown_to_any_template(tiny_model):
    from transformers import AutoTokenizer

    from train.generation import chat_text

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    plain = [{"role": "user", "content": "Weather in Paris?"}]
    before = tokenizer.apply_chat_template(plain, add_generation_prompt=True, tokenize=False)
    assert chat_text(tokenizer, plain) == before  # no tools: as before
    assert "<tools>\n" + json.dumps(WEATHER_TOOL) in chat_text(tokenizer, plain, [WEATHER_TOOL])  # Flywheel's ChatML lists them
    history = [plain[0], {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}]  # fmt: skip
    shown = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
    assert chat_text(tokenizer, history).count(shown) == 1  # rendered by the template itself
    tokenizer.chat_template = PLAIN_CHATML
    assert chat_text(tokenizer, history).count(shown) == 1  # a template blind to tool_calls: written into the turn's text
    tokenizer.chat_template = TOOL_TEMPLATE
    with_tools = chat_text(tokenizer, history, [WEATHER_TOOL])
    assert with_tools.startswith("<|im_start|>system\nTools: get_weather<|im_end|>")
    assert with_tools.count("<tool_call>") == 1  # the template renders the call itself: not written twice


# --- the report ------------------------------------------------------------------------------------------


def test_the_report_shows_tool_use_per_variant_with_counts_intervals_and_each_call_beside_the_experts():
    from train.report import render_markdown

    references = [REFERENCE, _call("get_time", {"city": "Rome"}), "Hello!"]
    answers = {"base": ["It is sunny.", _call("get_time", {"city": "Rome"}), "Hi"],
               "sft-1": [_call("get_weather", {"city": "Paris", "unit": "kelvin"}), _call("get_date", {}), "Hi"]}
    variants = [{"name": name, "kind": "base" if name == "base" else "adapter", "run": None,
                 "metrics": {k: m.as_dict() for k, m in tool_metrics(said, references).items()}} for name, said in answers.items()]
    outputs = [{"variant": name, "set": "production", "id": f"ex-{i}", "prompt": [{"role": "user", "content": f"question {i}"}],
                "output": said, "reference": references[i], **output_fields(said, references[i])}
               for name, answered in answers.items() for i, said in enumerate(answered)]  # fmt: skip
    report = {"report": "r", "created_at": "now", "code_version": "test", "base_model": {"path": "tiny"},
              "snapshot": {"name": "s", "version": 1}, "inputs": {"production": {"examples": 3}},
              "decoding": {"max_new_tokens": 8}, "variants": variants, "checks": [], "verdicts": {}, "passed": True}  # fmt: skip
    text = render_markdown(report, outputs)
    low, high = wilson_interval(1, 2)
    assert "## Tool use" in text and f"| base | 1 of 2 examples, 50% [{low:.0%}, {high:.0%}] |" in text
    assert "| Function-name accuracy (tool-call references) | 50% [" in text  # the metrics table, with its interval
    assert "- *experts*: `get_weather({\"city\": \"Paris\", \"unit\": \"celsius\"})`" in text
    assert "- *base*: It is sunny. (no call)" in text
    assert "- *sft-1*: `get_weather({\"city\": \"Paris\", \"unit\": \"kelvin\"})` (arguments differ: 1 of 2 matched)" in text
    assert "- *sft-1*: `get_date({})` (wrong function)" in text and "- *base*: `get_time({\"city\": \"Rome\"})` (exact)" in text
    section = text.split("## Tool use")[1].split("\n## ")[0]
    assert "**ex-0**" in section and "**ex-2**" not in section  # the text reference is not a tool-call example
    plain = {**report, "variants": [{**v, "metrics": {}} for v in variants]}
    assert "Tool use" not in render_markdown(plain, [])


# --- a real evaluation --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_tiny_model_is_evaluated_on_tool_calling_references_with_every_figure_and_call_in_the_report(project, tiny_model, cli, tmp_path):
    project.config_path.write_text(project.config_path.read_text().replace("max_new_tokens = 256", "max_new_tokens = 8"))
    snapshot = _snapshot(tmp_path / "exports" / "agent-sft" / "v1", _tool_rows())
    out = tmp_path / "reports" / "tools"
    result = cli("--quiet", "eval", "--base", str(tiny_model), "--data", str(snapshot), "--out", str(out))
    assert result.exit_code == 0, result.output  # no candidate: nothing to gate
    report = json.loads((out / "report.json").read_text())
    assert report["inputs"]["production"]["tool_calls"] == 2
    metrics = report["variants"][0]["metrics"]
    assert (metrics["function_name_accuracy"]["n"], metrics["unexpected_tool_call_rate"]["n"], metrics["argument_match"]["n"]) == (2, 2, 2)
    for key in ("tool_call_rate", "function_name_accuracy", "argument_exact_match", "argument_match"):
        detail = metrics[key]["detail"]
        assert detail["ci_low"] <= metrics[key]["value"] <= detail["ci_high"], key
    rows = [json.loads(line) for line in (out / "outputs.jsonl").read_text().splitlines()]
    calls = {row["id"]: row["tool_calls"] for row in rows if "tool_calls" in row}
    assert calls["t2"]["reference"] == [{"name": "get_weather", "arguments": {"city": "Rome"}}]
    assert "## Tool use" in (out / "report.md").read_text()
    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text())
    assert [error.message for error in jsonschema.Draft202012Validator(schema).iter_errors(report)] == []
