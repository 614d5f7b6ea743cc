"""Scoring records' responses with a local causal LM: correct, padding-proof, resumable, clear errors."""

from __future__ import annotations

import itertools
import json
import math
import shutil
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from annotate.cli import score as score_command
from annotate.cli.context import CliContext
from annotate.errors import ScoringError
from annotate.flagging.scoring import score_records, scorer_name
from annotate.ingest import ingest_files
from tests.conftest import record
from tests.test_tiny_model import TEXTS
from train.tiny_model import build_tiny_model

SYSTEM = {"role": "system", "content": "You are Ledgerly's support assistant. Be concise."}
RECORDS = [
    record(),
    record("Can I add a user?", "Yes: Settings > Users > Invite. Each seat is billed monthly on Growth and Scale."),
    record(messages=[SYSTEM, {"role": "user", "content": "Why was my card declined?"}], response="The bank said no."),
    record(
        messages=[
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello! How can I help?"},
            {"role": "user", "content": "How do I pay a bill twice a month, and can payroll run on the 15th as well?"},
        ],
        response="Create two bill schedules under Bills > Recurring. Payroll can run twice a month on Scale.",
    ),
    record("Thanks!", "You're welcome."),
]
SIGNALS = ("logprob_mean", "logprob_min", "entropy_mean", "n_tokens")


@pytest.fixture
def ingest(store, write_jsonl):
    """Ingest rows into the test store (each call writes its own file)."""
    files = itertools.count(1)

    def run(rows: list[dict]) -> None:
        ingest_files(store, [write_jsonl(rows, name=f"logs-{next(files)}.jsonl")])

    return run


def copy_of(model_folder, tmp_path, name: str) -> str:
    """The same model in another folder: another scorer name, so the same store can score again."""
    return str(shutil.copytree(model_folder, tmp_path / name))


def test_scoring_fills_plausible_signals_for_every_record(store, ingest, tiny_model):
    from transformers import AutoTokenizer

    ingest(RECORDS)
    assert score_records(store, str(tiny_model), batch_size=2) == len(RECORDS)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    rows = store.signals_by(str(tiny_model.resolve()))
    assert len(rows) == len(RECORDS)
    for row in rows:
        assert all(math.isfinite(row[name]) for name in SIGNALS)
        assert row["logprob_min"] <= row["logprob_mean"] <= 0
        assert row["entropy_mean"] >= 0
        assert row["n_tokens"] == len(tokenizer(row["response"], add_special_tokens=False)["input_ids"])


def test_the_signals_match_a_direct_computation_over_the_response_tokens(store, ingest, tiny_model):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ingest(RECORDS[2:3])
    score_records(store, str(tiny_model))
    [row] = store.signals_by(scorer_name(str(tiny_model)))
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    prompt = tokenizer.apply_chat_template(json.loads(row["messages"]), tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    response_ids = tokenizer(row["response"], add_special_tokens=False)["input_ids"]
    with torch.inference_mode():
        logits = model(torch.tensor([prompt_ids + response_ids])).logits[0]
    logprobs = logits[len(prompt_ids) - 1 : -1].log_softmax(-1)
    token_logprobs = logprobs[torch.arange(len(response_ids)), response_ids]
    entropy = -(logprobs.exp() * logprobs).sum(-1)
    assert row["logprob_mean"] == pytest.approx(token_logprobs.mean().item(), abs=1e-5)
    assert row["logprob_min"] == pytest.approx(token_logprobs.min().item(), abs=1e-5)
    assert row["entropy_mean"] == pytest.approx(entropy.mean().item(), abs=1e-5)


def test_scores_in_a_padded_batch_equal_scores_one_at_a_time(store, ingest, tiny_model, tmp_path):
    ingest(RECORDS)
    alone, batched = copy_of(tiny_model, tmp_path, "alone"), copy_of(tiny_model, tmp_path, "batched")
    score_records(store, alone, batch_size=1)
    score_records(store, batched, batch_size=len(RECORDS))
    one_at_a_time = store.signals_by(scorer_name(alone))
    in_a_batch = store.signals_by(scorer_name(batched))
    assert [row["record_id"] for row in one_at_a_time] == [row["record_id"] for row in in_a_batch]
    for single, padded in zip(one_at_a_time, in_a_batch):
        assert single["n_tokens"] == padded["n_tokens"]
        for name in ("logprob_mean", "logprob_min", "entropy_mean"):
            assert single[name] == pytest.approx(padded[name], abs=1e-4)


def test_a_second_run_scores_nothing(store, ingest, tiny_model):
    ingest(RECORDS)
    score_records(store, str(tiny_model))
    before = store.signals_by(scorer_name(str(tiny_model)))
    assert score_records(store, str(tiny_model)) == 0
    assert store.signals_by(scorer_name(str(tiny_model))) == before


def test_a_record_added_later_is_scored_on_the_next_run(store, ingest, tiny_model):
    ingest(RECORDS[:2])
    score_records(store, str(tiny_model))
    ingest([record("Where is my VAT return?", "Under Tax > VAT returns.")])
    assert score_records(store, str(tiny_model)) == 1
    assert [row["response"] for row in store.signals_by(scorer_name(str(tiny_model)))][-1] == "Under Tax > VAT returns."


def test_a_limited_run_stops_early_and_the_next_run_continues_with_progress(store, ingest, tiny_model):
    ingest(RECORDS)
    calls = []
    assert score_records(store, str(tiny_model), batch_size=2, limit=3, progress=lambda *call: calls.append(call)) == 3
    assert calls == [(0, 3), (2, 3), (3, 3)]
    assert score_records(store, str(tiny_model)) == len(RECORDS) - 3
    assert store.count_records_to_score(scorer_name(str(tiny_model))) == 0


def test_a_local_folder_is_one_scorer_however_its_path_is_written(tiny_model, monkeypatch):
    monkeypatch.chdir(tiny_model.parent)
    assert scorer_name(f"./{tiny_model.name}") == scorer_name(str(tiny_model)) == str(tiny_model.resolve())
    assert scorer_name("Qwen/Qwen2.5-0.5B-Instruct") == "Qwen/Qwen2.5-0.5B-Instruct"


def test_a_long_conversation_is_cut_from_the_left_keeping_the_response_end(store, ingest, tmp_path):
    from transformers import AutoTokenizer

    short_window = str(build_tiny_model(tmp_path / "short", TEXTS, max_positions=32))
    long_prompt = record(" ".join(["How do I export invoices?"] * 20), "Go to Reports.")
    long_response = record("Can I add a user?", " ".join(["Yes, under Settings > Users."] * 20))
    ingest([long_prompt, long_response])
    assert score_records(store, short_window, batch_size=2) == 2
    by_response = {row["response"]: row for row in store.signals_by(scorer_name(short_window))}
    tokenizer = AutoTokenizer.from_pretrained(short_window)
    short_response_tokens = tokenizer("Go to Reports.", add_special_tokens=False)["input_ids"]
    assert by_response["Go to Reports."]["n_tokens"] == len(short_response_tokens)
    assert by_response[long_response["response"]]["n_tokens"] == 31
    assert all(math.isfinite(row["logprob_mean"]) for row in by_response.values())


def test_a_tokenizer_without_chat_template_gets_role_lines(store, ingest, tiny_model, tmp_path):
    plain = copy_of(tiny_model, tmp_path, "plain")
    (tmp_path / "plain" / "chat_template.jinja").unlink()
    ingest(RECORDS[:2])
    assert score_records(store, plain) == 2
    assert all(math.isfinite(row["logprob_mean"]) for row in store.signals_by(scorer_name(plain)))


@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_an_unloadable_model_path_raises_a_clear_error(store, ingest, tmp_path, folder):
    (tmp_path / "empty").mkdir()
    ingest(RECORDS[:1])
    with pytest.raises(ScoringError, match="cannot load a causal language model from .*" + folder):
        score_records(store, str(tmp_path / folder))
    assert store.count_records_to_score(scorer_name(str(tmp_path / folder))) == 1


def test_without_the_training_extra_the_error_says_how_to_install_it(store, ingest, tiny_model, monkeypatch):
    ingest(RECORDS[:1])
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(ScoringError, match=r"pip install -e '\.\[train\]'"):
        score_records(store, str(tiny_model))


def test_the_score_command_scores_and_prints_a_summary(project, store, ingest, tiny_model):
    ingest(RECORDS)
    app = typer.Typer()
    app.callback()(lambda: None)
    score_command.register(app)
    context = CliContext(project_dir=str(project.root), db=None, quiet=True)
    args = ["score", "--model", str(tiny_model), "--batch-size", "2", "--limit", "4"]
    result = CliRunner().invoke(app, args, obj=context)
    assert result.exit_code == 0, result.output
    assert f"Scored 4 records with {tiny_model.resolve()}" in result.output
    assert store.count_records_to_score(scorer_name(str(tiny_model))) == len(RECORDS) - 4


def test_importing_scoring_and_its_command_does_not_import_torch():
    code = "import sys, annotate.flagging.scoring, annotate.cli.score; assert not {'torch', 'transformers'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
