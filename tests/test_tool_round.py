"""A tool-calling agent's production log through one whole round: ingest (OpenAI chat-completion
lines), flag (the tool-call flagger), select, correct the calls in the review app, export for TRL,
train a step and evaluate the tool use of the base against the candidate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.review.annotators import add_annotator
from tests.conftest import EXPERT, run_page
from tests.tool_conversations import TOOLS, call, tool_record

pytestmark = pytest.mark.slow
ORDERS = 24
TINY_STEPS = ["--set", "trainer.max_steps=2", "--set", "trainer.per_device_train_batch_size=4", "--set", "trainer.max_length=1536"]


def _completion_line(number: int) -> dict:
    """Record `number` as the OpenAI SDK logs it: the request's messages and tools beside the
    completion, whose answer is a refund call. Every third call breaks the tool's schema (an
    amount as words) and every fourth's user gave a thumbs down."""
    record = tool_record(number)
    amount = "the full price" if number % 3 == 0 else 20 + number
    answer = call(f"call_{number}_2", "refund", order_id=f"A{1000 + number}", amount=amount)
    line = {"messages": record["messages"], "tools": TOOLS, "id": f"chatcmpl-{number}", "object": "chat.completion",
            "created": 1767225600 + number, "model": "agent-v1", "metadata": None, "service_tier": None, "usage": None,
            "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": None, "message": {
                "role": "assistant", "content": None, "refusal": None, "audio": None, "function_call": None,
                "annotations": [], "tool_calls": [answer]}}]}  # fmt: skip
    if number % 4 == 0:
        line["feedback"] = {"thumbs": "down"}
    return line


def _correct_every_task_in_the_app(store) -> list[str]:
    """Sign in as the expert and work the Correct page until no task is left: fix each call's
    amount to the order's total (the tool result says it), or accept a call that has it, and
    submit. Returns the answers that were stored, as response texts."""
    stored = []
    for _ in range(ORDERS):
        app = run_page("annotate.ui.correction.correction_page", EXPERT)
        assert not app.exception, app.exception
        verdicts = [radio for radio in app.radio if str(radio.key).startswith("verdict-")]
        if not verdicts:
            break
        task = int(str(verdicts[0].key).removeprefix("verdict-"))
        arguments = app.text_area(key=f"call-arguments-{task}-0")
        order = json.loads(arguments.value)["order_id"] if _is_json(arguments.value) else None
        assert order, f"task {task}: the call's arguments are shown for editing: {arguments.value!r}"
        total = 20 + int(order.removeprefix("A")) - 1000
        assert app.selectbox(key=f"call-name-{task}-0").value == "refund"
        if json.loads(arguments.value).get("amount") == total:  # a right call (flagged for the user's thumbs down)
            app.radio(key=f"verdict-{task}").set_value("acceptable")
        else:
            arguments.input(json.dumps({"order_id": order, "amount": total})).run()
            app.radio(key=f"verdict-{task}").set_value("corrected")
            app.multiselect(key=f"categories-{task}").select("wrong_tool_call")
            app.selectbox(key=f"severity-{task}").set_value("major")
        app.text_area(key=f"rationale-{task}").input("Refund the order's total from the tool result.")
        app.button(key=f"submit-{task}").click().run()
        assert not app.exception and app.success and app.success[0].value.startswith("Saved"), [e.value for e in app.error]
        (annotation,) = store.annotations_of(task)
        record_id = store.task(task).record_id
        stored.append(annotation.corrected_response or store.records_by_id([record_id])[record_id]["response"])
    return stored


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def long_tiny_model(tmp_path_factory) -> Path:
    """The tiny random model with room for an agent's prompt: the offered tools' schemas, a call and
    its result come to about 900 of its tokens."""
    from train.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-long"), max_positions=2048)


def test_a_tool_calling_conversation_goes_through_a_whole_round(project, store, env, long_tiny_model, cli, tmp_path):
    tiny_model = long_tiny_model
    log = tmp_path / "agent-log.jsonl"
    log.write_text("".join(json.dumps(_completion_line(number)) + "\n" for number in range(1, ORDERS + 1)))
    ingested = cli("ingest", str(log))
    assert ingested.exit_code == 0, ingested.output

    flagged = cli("flag")
    assert flagged.exit_code == 0, flagged.output
    flags = {row["record_id"]: row for row in store.db.query("SELECT * FROM flags WHERE reason = 'tool_call'")}
    broken = {row["id"] for row in store.db.query("SELECT id FROM records WHERE tool_calls LIKE '%full price%'")}
    assert set(flags) == broken and len(broken) == ORDERS // 3  # every schema-breaking call, and only those
    assert all("amount" in flag["detail"] for flag in flags.values())

    add_annotator(store, EXPERT)
    selected = cli("select", "--budget", "12", "--seed", "1")
    assert selected.exit_code == 0, selected.output
    stored = _correct_every_task_in_the_app(store)
    assert len(stored) >= 10
    assert all('"name": "refund"' in text and "full price" not in text for text in stored)

    spec = tmp_path / "spec.toml"
    spec.write_text("[split]\neval_fraction = 0.4\n")
    exported = cli("export", "--kind", "sft", "--name", "agent-sft", "--spec", str(spec))
    assert exported.exit_code == 0, exported.output
    snapshot = project.root / "exports" / "agent-sft" / "v1"
    rows = [json.loads(line) for name in ("train", "eval") for line in (snapshot / f"{name}.jsonl").read_text().splitlines()]
    assert rows and all(row["tools"] == TOOLS for row in rows)
    answers = [row["messages"][-1]["tool_calls"][0]["function"] for row in rows]
    assert all(answer["name"] == "refund" and isinstance(answer["arguments"]["amount"], int) for answer in answers)

    runs = tmp_path / "runs"
    trained = cli("train", "sft", "--data", str(snapshot), "--base", str(tiny_model), "--runs-dir", str(runs),
                  "--run-id", "agent", *TINY_STEPS)  # fmt: skip
    assert trained.exit_code == 0, trained.output
    run = json.loads((runs / "agent" / "run.json").read_text())
    assert run["snapshot"]["name"] == "agent-sft" and run["steps"] == 2 and run["tokens_seen"] > 0
    assert "assistant_only_loss on" in " ".join(run["notes"])  # the calls are inside the loss (the ChatML tool template)

    project.config_path.write_text(project.config_path.read_text().replace("max_new_tokens = 256", "max_new_tokens = 24"))
    out = tmp_path / "reports" / "agent"
    evaluated = cli("--quiet", "eval", "--base", str(tiny_model), "--adapter", str(runs / "agent"), "--data", str(snapshot),
                    "--out", str(out))  # fmt: skip
    assert evaluated.exit_code in (0, 3), evaluated.output
    report = json.loads((out / "report.json").read_text())
    evaluated_rows = sum(1 for _ in (snapshot / "eval.jsonl").read_text().splitlines())
    assert report["inputs"]["production"]["tool_calls"] == evaluated_rows
    for variant in report["variants"]:
        metrics = variant["metrics"]
        assert metrics["function_name_accuracy"]["n"] == evaluated_rows, variant["name"]
        assert metrics["argument_match"]["n"] == 2 * evaluated_rows  # order_id and amount, per reference
    outputs = [json.loads(line) for line in (out / "outputs.jsonl").read_text().splitlines()]
    references = [row["tool_calls"]["reference"] for row in outputs if "tool_calls" in row]
    assert references and all(ref[0]["name"] == "refund" for ref in references)
    assert "## Tool use" in (out / "report.md").read_text()
    tool_checks = [check for check in report["checks"] if check["name"] in
                   ("function names", "tool arguments", "per-argument match", "unexpected tool calls")]  # fmt: skip
    assert len(tool_checks) == 4 * (len(report["variants"]) - 1)  # each candidate gated on tool use...
    assert all(check["status"] in ("inconclusive", "not_applicable") for check in tool_checks)  # ...never on 5 examples
