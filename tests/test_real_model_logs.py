"""The sample prompts answered by the real model (data/sample/smollm2_records.jsonl, written by
`python -m train.sample_logs`): valid records of a round of their own, and the simulated experts
judge and correct them from the generator's ground truth."""

from __future__ import annotations

import json

import pytest

from annotate.sample.answers import _judged_quality, demo_answers
from annotate.sample.generator import generate_labelled_records
from annotate.sample.gold import best_good_answers
from tests.conftest import REPO

SAMPLE = REPO / "data" / "sample"
LOGS = SAMPLE / "smollm2_records.jsonl"


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_real_model_logs_answer_the_first_sample_prompts_with_measured_confidence():
    logs, sample = _lines(LOGS), _lines(SAMPLE / "records.jsonl")
    assert len(logs) >= 250
    originals = {row["id"]: row for row in sample}
    for row in logs:
        sample_id, _, model = row["id"].partition("@")
        assert model == "smollm2" and row["model"] == "smollm2-135m-instruct@q4_1"
        assert row["messages"] == originals[sample_id]["messages"]  # the same prompt, a new answer
        assert row["response"].strip() and row["response"] != originals[sample_id]["response"]
        assert row["logprobs"]["min"] <= row["logprobs"]["mean"] <= 0
        assert "feedback" not in row  # nobody rated the new round yet


def test_the_real_model_logs_ingest_completely(store):
    from annotate.ingest import ingest_files

    summary = ingest_files(store, [LOGS], source="smollm2-prod")
    assert (summary.exit_code, summary.total("rejected")) == (0, 0)
    assert summary.total("ingested") == len(_lines(LOGS))


def test_the_experts_judge_another_models_answer_by_what_they_know():
    labelled = list(generate_labelled_records())
    good = best_good_answers(labelled)
    intent = next(iter(good))
    label = {"intent": intent, "json_format": False}
    assert _judged_quality(label, good, good[intent]) == "good"
    assert _judged_quality(label, good, good[intent] + " Anything else?") == "good"
    assert _judged_quality(label, good, "I'm sorry, I can't help with that.") == "refusal"
    assert _judged_quality(label, good, "Ledgerly is a member of the Luminari webhooks community.") == "wrong"
    assert _judged_quality({**label, "json_format": True}, good, '{"a": 1}') == "format_invalid"


@pytest.mark.slow
def test_a_round_on_the_real_models_answers_gets_corrections(tmp_path):
    from typer.testing import CliRunner

    from annotate.cli import app
    from annotate.project import find_project, init_project

    project = init_project(tmp_path / "round", name="SmolLM2 round")
    runner = CliRunner()
    for step in (["ingest", str(LOGS), "--source", "smollm2-prod"], ["flag"], ["select", "--budget", "60"]):
        result = runner.invoke(app, ["--project", str(project.root), "--quiet", *step])
        assert result.exit_code == 0, (step, result.output)
    with find_project(project.root).open_store() as store:
        lines = list(demo_answers(store))
    good = set(best_good_answers(list(generate_labelled_records())).values())
    corrected = [line["answer"] for line in lines if line["answer"].get("verdict") == "corrected"]
    assert lines and all(line["record"].endswith("@smollm2") for line in lines)
    assert len(corrected) > len(lines) / 2  # a 135M model gets most of a product's facts wrong
    assert all(answer["corrected_response"] in good for answer in corrected)
    assert {c for answer in corrected for c in answer["failure_categories"]} <= {"factual_error", "unwarranted_refusal"}
