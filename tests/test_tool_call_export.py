"""Tool calls survive ingest -> task -> expert answer -> export, in the shape TRL's conversational
formats with tools take, and render through a chat template that supports tools."""

from __future__ import annotations

import json

from annotate.export.build import build_export
from annotate.export.spec import ExportSpec
from annotate.ingest import ingest_files
from annotate.review.annotators import add_annotator
from annotate.review.claims import submit
from tests.conftest import EXPERT
from tests.tool_conversations import call, tool_record, write_records

SPEC = ExportSpec(split={"eval_fraction": 0.0})


def _tasks_for(store, record_ids: list[str]) -> list[int]:
    round_id = store.open_round()["id"]
    ids = {row["external_id"]: row["id"] for row in store.db.query("SELECT id, external_id FROM records")}
    return store.insert_tasks([
        {"kind": "correction", "record_id": ids[external], "record_b_id": None, "origin": "test", "priority": 1.0,
         "why": "", "cluster": None, "required_annotations": 1, "is_gold": 0, "gold_answer": None, "route": "app",
         "round_id": round_id} for external in record_ids
    ])  # fmt: skip


def _answered(store, tmp_path):
    """Three tool-calling records answered: a wrong amount corrected, a good call accepted, and a
    call with arguments that break the tool's schema accepted by mistake."""
    records = [
        tool_record(1, answer_calls=[call("c1", "refund", order_id="A1001", amount=999)]),
        tool_record(2),
        tool_record(3, answer_calls=[call("c3", "refund", order_id="A1003", amount="all of it")]),
    ]
    summary = ingest_files(store, [write_records(tmp_path / "agent.jsonl", records)], rejects_dir=tmp_path)
    assert summary.total("ingested") == 3 and summary.total("rejected") == 0
    add_annotator(store, EXPERT)
    fixed, good, broken = _tasks_for(store, ["agent-1", "agent-2", "agent-3"])
    corrected = 'I have refunded the parcel.\n<tool_call>\n{"name": "refund", "arguments": {"order_id": "A1001", "amount": 21}}\n</tool_call>'
    submit(store, fixed, EXPERT, {"kind": "correction", "verdict": "corrected", "corrected_response": corrected,
                                  "failure_categories": ["wrong_tool_call"], "severity": "major"})  # fmt: skip
    submit(store, good, EXPERT, {"kind": "correction", "verdict": "acceptable"})
    submit(store, broken, EXPERT, {"kind": "correction", "verdict": "acceptable"})
    return fixed, good, broken


def test_sft_rows_keep_the_calls_the_results_and_the_tools(store, project, tmp_path):
    fixed, good, broken = _answered(store, tmp_path)
    export = build_export(store, project, "sft", SPEC, seed=0)
    from annotate.export.formats import trl_row

    rows = {row["id"]: row for row in (trl_row(example) for example in export.train)}
    assert set(rows) == {f"t{fixed}", f"t{good}"}  # the schema-breaking call is left out...
    formats = next(gate for gate in export.gates if gate.name == "formats")
    dropped = next(d for d in formats.dropped if d["id"] == f"t{broken}")
    assert "amount" in dropped["detail"] and "tool_calls" in dropped["detail"]  # ...saying why
    row = rows[f"t{fixed}"]
    history, answer = row["messages"][:-1], row["messages"][-1]
    assert answer == {"role": "assistant", "content": "I have refunded the parcel.",
                      "tool_calls": [{"type": "function", "function": {"name": "refund", "arguments": {"order_id": "A1001", "amount": 21}}}]}
    assert history[2]["tool_calls"] == [{"id": "call_1_1", "type": "function", "function": {"name": "get_order", "arguments": {"order_id": "A1001"}}}]
    assert history[3]["role"] == "tool" and history[3]["tool_call_id"] == "call_1_1" and '"total": 21' in history[3]["content"]
    assert [tool["function"]["name"] for tool in row["tools"]] == ["get_order", "refund"]


def test_dpo_rows_prefer_the_corrected_call_over_the_original(store, project, tmp_path):
    fixed, _, _ = _answered(store, tmp_path)
    export = build_export(store, project, "dpo", ExportSpec(split={"eval_fraction": 0.0}, dpo={"min_edit": 0.05}), seed=0)
    from annotate.export.formats import trl_row

    row = next(trl_row(example) for example in export.train if example.id == f"t{fixed}-edit")
    assert row["chosen"][0]["tool_calls"][0]["function"]["arguments"] == {"order_id": "A1001", "amount": 21}
    assert row["rejected"][0]["tool_calls"][0]["function"]["arguments"] == {"order_id": "A1001", "amount": 999}
    assert row["rejected"][0]["content"] == "" and row["tools"]


def test_the_exported_file_loads_with_datasets_and_renders_the_calls_with_a_tool_template(store, project, tmp_path, cli, tiny_model):
    from datasets import load_dataset
    from transformers import AutoTokenizer

    _answered(store, tmp_path)
    spec = tmp_path / "spec.toml"
    spec.write_text("[split]\neval_fraction = 0.0\n")
    result = cli("export", "--kind", "sft", "--name", "agent-sft", "--spec", str(spec))
    assert result.exit_code == 0, result.output
    folder = project.root / "exports" / "agent-sft" / "v1"
    data = load_dataset("json", data_files={"train": str(folder / "train.jsonl")})["train"]
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    for row in data:
        rendered = tokenizer.apply_chat_template(row["messages"], tools=row["tools"], tokenize=False)
        assert "<tools>" in rendered and '"name": "refund"' in rendered  # the offered tools, listed
        assert '<tool_call>\n{"name": "get_order", "arguments": {"order_id": "A100' in rendered  # the history's call
        assert "<|im_start|>tool\n{" in rendered  # its result
        answer = row["messages"][-1]["tool_calls"][0]["function"]
        assert f'"arguments": {json.dumps(answer["arguments"])}' in rendered  # the answer's call, as trained on
        encoded = tokenizer.apply_chat_template(row["messages"], tools=row["tools"], return_dict=True,
                                                return_assistant_tokens_mask=True)  # fmt: skip
        trained = tokenizer.decode([t for t, m in zip(encoded["input_ids"], encoded["assistant_masks"]) if m])
        assert '"name": "refund"' in trained  # the call is inside the loss, not only the prompt


def test_training_tool_rows_on_a_template_blind_to_tool_calls_is_refused_before_it_starts(store, project, tmp_path, cli, tiny_model):
    import shutil

    from transformers import AutoTokenizer

    _answered(store, tmp_path)
    assert cli("export", "--kind", "sft", "--name", "agent-sft").exit_code == 0
    blind = tmp_path / "blind-model"
    shutil.copytree(tiny_model, blind)
    tokenizer = AutoTokenizer.from_pretrained(blind)
    tokenizer.chat_template = ("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
                               "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")  # fmt: skip
    tokenizer.save_pretrained(blind)
    result = cli("train", "sft", "--data", str(project.root / "exports" / "agent-sft" / "v1"), "--base", str(blind),
                 "--runs-dir", str(tmp_path / "runs"), "--set", "trainer.max_steps=1")  # fmt: skip
    assert result.exit_code == 1 and "does not render tool_calls" in result.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("adapter_model.safetensors"))
