"""`flywheel train sft|dpo|list`: real TRL runs of a few steps on the tiny model, from real exports."""

from __future__ import annotations

import csv
import hashlib
import json
import math
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

TINY_STEPS = ["--set", "trainer.max_steps=3", "--set", "trainer.per_device_train_batch_size=4", "--set", "trainer.max_length=128"]


def _train(cli, kind, snapshot, tiny_model, runs, *extra, run_id=None):
    """One run through the command line: (its folder, its run.json)."""
    run_id = run_id or f"{kind}-test"
    named = [] if "--resume" in extra else ["--run-id", run_id]
    result = cli("train", kind, "--data", str(snapshot), "--base", str(tiny_model), "--runs-dir", str(runs), *TINY_STEPS,
                 *named, *extra)  # fmt: skip
    assert result.exit_code == 0, result.output
    folder = runs / run_id
    return folder, json.loads((folder / "run.json").read_text())


def _lora_b_norm(folder) -> float:
    from safetensors.torch import load_file

    weights = load_file(str(folder / "adapter" / "adapter_model.safetensors"))
    return sum(float(tensor.abs().sum()) for name, tensor in weights.items() if "lora_B" in name)


def _metrics(folder) -> list[dict]:
    with open(folder / "metrics.csv", newline="") as rows:
        return list(csv.DictReader(rows))


def test_a_three_step_sft_run_trains_the_adapter_and_records_its_lineage(snapshots, tiny_model, cli, tmp_path):
    runs = tmp_path / "runs"
    folder, run = _train(cli, "sft", snapshots["sft"], tiny_model, runs)
    manifest = snapshots["sft"] / "manifest.json"
    assert run["snapshot"]["manifest_sha256"] == hashlib.sha256(manifest.read_bytes()).hexdigest()
    assert run["snapshot"]["name"] == "support-sft" and run["snapshot"]["version"] == 1
    assert run["snapshot"]["counts"] == json.loads(manifest.read_text())["counts"]
    config = json.loads((tiny_model / "config.json").read_text())
    assert run["base_model"]["config_sha256"] == hashlib.sha256((tiny_model / "config.json").read_bytes()).hexdigest()
    assert config["model_type"] == "llama"
    assert run["steps"] == 3 and run["tokens_seen"] > 0 and run["method"] == "lora" and run["seed"] == 0
    assert "assistant_only_loss on" in " ".join(run["notes"])
    losses = [float(row["loss"]) for row in _metrics(folder) if row["loss"]]
    assert len(losses) == 3 and all(math.isfinite(loss) and loss > 0 for loss in losses)
    assert _lora_b_norm(folder) > 0  # LoRA's B starts at zero: non-zero means the adapter trained
    resolved = json.loads((folder / "config.json").read_text())
    assert resolved["trainer"]["max_steps"] == 3 and resolved["trainer"]["assistant_only_loss"] is True
    assert (folder / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    listed = cli("train", "list", "--runs-dir", str(runs))
    assert folder.name in listed.output and "support-sft v1" in listed.output


def test_the_reloaded_adapter_and_the_merged_model_answer_alike(snapshots, tiny_model, cli, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, run = _train(cli, "sft", snapshots["sft"], tiny_model, tmp_path / "runs", "--merge", "--set", "trainer.learning_rate=0.01")
    tokenizer = AutoTokenizer.from_pretrained(folder / "adapter")
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "How do I export my invoices?"}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)  # fmt: skip

    def greedy(model):
        with torch.no_grad():
            out = model.generate(**prompt, max_new_tokens=12, do_sample=False, pad_token_id=tokenizer.pad_token_id)
        return out[0, prompt["input_ids"].shape[1]:].tolist()

    base = greedy(AutoModelForCausalLM.from_pretrained(tiny_model))
    adapted = greedy(PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model), str(folder / "adapter")))
    merged = greedy(AutoModelForCausalLM.from_pretrained(folder / "merged"))
    assert adapted == merged
    assert run["merged"].endswith("merged")
    base_weights = AutoModelForCausalLM.from_pretrained(tiny_model).state_dict()
    merged_weights = AutoModelForCausalLM.from_pretrained(folder / "merged").state_dict()
    assert any(not torch.equal(base_weights[name], merged_weights[name]) for name in base_weights)  # the merge changed weights
    assert len(base) == len(merged)


def test_dpo_on_top_of_an_sft_run_logs_reward_margins(snapshots, tiny_model, cli, tmp_path):
    runs = tmp_path / "runs"
    sft_folder, _ = _train(cli, "sft", snapshots["sft"], tiny_model, runs)
    folder, run = _train(cli, "dpo", snapshots["dpo"], tiny_model, runs, "--init-adapter", str(sft_folder))
    assert run["kind"] == "dpo" and run["init_adapter"] == str(sft_folder) and run["steps"] == 3
    rows = _metrics(folder)
    assert all(math.isfinite(float(row["loss"])) for row in rows if row["loss"])
    assert any(row["rewards/margins"] for row in rows) and any(row["rewards/accuracies"] for row in rows)
    assert _lora_b_norm(folder) > 0
    assert "merged with the adapter" in " ".join(run["notes"])


@pytest.mark.parametrize("method", ["ia3", "prompt_tuning", "full"])
def test_other_adaptation_methods_train_through_the_config(snapshots, tiny_model, cli, tmp_path, method):
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[trainer]\nmax_steps = 1\n\n[adapter]\nmethod = "{method}"\n')
    folder, run = _train(cli, "sft", snapshots["sft"], tiny_model, tmp_path / "runs", "--config", str(settings))
    assert run["method"] == method and run["steps"] == 3  # the command line's max_steps=3 wins over the file's 1
    saved = {path.name for path in (folder / "adapter").iterdir()}
    assert ("model.safetensors" in saved) if method == "full" else ("adapter_config.json" in saved)


def test_a_misspelt_config_key_fails_naming_the_file_the_key_and_the_right_name(snapshots, tiny_model, cli, tmp_path):
    settings = tmp_path / "settings.toml"
    settings.write_text("[trainer]\nlearning_rat = 1e-4\n")
    result = cli("train", "sft", "--data", str(snapshots["sft"]), "--base", str(tiny_model), "--config", str(settings),
                 "--runs-dir", str(tmp_path / "runs"))  # fmt: skip
    assert result.exit_code == 1
    assert str(settings) in result.output and "'learning_rat'" in result.output and "learning_rate" in result.output
    bad_adapter = cli("train", "sft", "--data", str(snapshots["sft"]), "--base", str(tiny_model), "--set", "adapter.rank=4")
    assert bad_adapter.exit_code == 1 and "LoraConfig" in bad_adapter.output and "'rank'" in bad_adapter.output
    bad_value = cli("train", "sft", "--data", str(snapshots["sft"]), "--base", str(tiny_model), "--runs-dir",
                    str(tmp_path / "runs"), "--set", 'trainer.lr_scheduler_type="sideways"')  # fmt: skip
    assert bad_value.exit_code == 1 and "rejected by SFTConfig" in bad_value.output and "sideways" in bad_value.output
    assert not (tmp_path / "runs").exists()  # a refused run leaves no folder behind


def test_a_snapshot_changed_after_export_is_refused(snapshots, tiny_model, cli, tmp_path):
    train_file = snapshots["sft"] / "train.jsonl"
    train_file.write_text(train_file.read_text() + train_file.read_text().splitlines()[0] + "\n")
    result = cli("train", "sft", "--data", str(snapshots["sft"]), "--base", str(tiny_model), "--runs-dir", str(tmp_path / "runs"))
    assert result.exit_code == 1 and "train.jsonl" in result.output and "changed after export" in result.output
    wrong_kind = cli("train", "dpo", "--data", str(snapshots["sft"]), "--base", str(tiny_model))
    assert wrong_kind.exit_code == 1 and "'sft' snapshot" in wrong_kind.output


def test_a_run_cut_off_after_a_checkpoint_resumes_from_it(snapshots, tiny_model, cli, tmp_path):
    runs = tmp_path / "runs"
    folder, first = _train(cli, "sft", snapshots["sft"], tiny_model, runs, "--set", "trainer.max_steps=2",
                           "--set", "trainer.save_steps=2", run_id="cut-off")  # fmt: skip
    assert (folder / "checkpoints" / "checkpoint-2").is_dir() and first["steps"] == 2
    (folder / "run.json").unlink()  # as if the process had died after saving checkpoint 2
    resumed, run = _train(cli, "sft", snapshots["sft"], tiny_model, runs, "--resume", str(folder), "--set", "trainer.max_steps=4",
                          run_id="cut-off")  # fmt: skip
    assert resumed == folder and run["resumed_from"].endswith("checkpoint-2") and run["steps"] == 4
    assert 0 < run["session_tokens_seen"] < run["tokens_seen"]  # steps 3-4 only, against all four
    steps = [int(row["step"]) for row in _metrics(folder) if row["loss"]]
    assert steps == [1, 2, 3, 4]  # the history carries on from the checkpoint's


def test_the_shipped_settings_build_trl_s_configs_and_the_accelerate_files_load(tmp_path):
    from accelerate.commands.config.config_args import ClusterConfig
    from trl import DPOConfig, SFTConfig

    from train.recipe import TRAINER_DEFAULTS
    from train.settings import load_settings

    configs = REPO / "train" / "configs"
    for path, config_class in [(configs / "sft-lora.toml", SFTConfig), (configs / "sft-ia3.toml", SFTConfig),
                               (configs / "dpo-lora.toml", DPOConfig)]:  # fmt: skip
        settings = load_settings(path, [], config_class)
        built = config_class(**{**TRAINER_DEFAULTS, **settings.trainer, "output_dir": str(tmp_path), "use_cpu": True, "bf16": False})
        assert all(getattr(built, key) == value for key, value in settings.trainer.items() if key != "loss_type")
    for name in ("accelerate-ddp.yaml", "accelerate-fsdp.yaml"):
        cluster = ClusterConfig.from_yaml_file(str(configs / name))
        assert cluster.mixed_precision == "bf16" and cluster.num_processes == 8


def test_python_m_train_takes_the_same_options_as_flywheel_train(tmp_path):
    """One definition (`annotate.contracts.training.RUN_OPTIONS`) makes both parsers: the same flags,
    and the same request from the same command line."""
    import typer

    from annotate.cli.train import train_app
    from annotate.contracts.training import RunRequest, run_options
    from train.cli_args import request_from_argv

    command = typer.main.get_command(train_app)
    for kind in ("sft", "dpo"):
        flags = {opt for param in command.commands[kind].params for opt in param.opts}
        assert flags == {option.flag for option in run_options(kind)}
        argv = ["--data", "exports/x/v1", "--base", "models/tiny", "--config", "a.toml", "--set", "trainer.max_steps=3",
                "--set", "trainer.seed=1", "--runs-dir", str(tmp_path), "--run-id", "r1", "--resume", "runs/r0", "--merge",
                "--seed", "7"] + (["--init-adapter", "runs/sft"] if kind == "dpo" else [])  # fmt: skip
        assert request_from_argv(kind, argv) == RunRequest(
            data=Path("exports/x/v1"), base="models/tiny", config=Path("a.toml"), overrides=["trainer.max_steps=3", "trainer.seed=1"],
            runs_dir=tmp_path, run_id="r1", resume=Path("runs/r0"), merge=True, seed=7,
            init_adapter=Path("runs/sft") if kind == "dpo" else None,
        )  # fmt: skip
        assert request_from_argv(kind, ["--data", "d", "--base", "b"]) == RunRequest(data=Path("d"), base="b")


def test_a_broken_run_json_is_named_when_evaluating_and_skipped_when_listing(tmp_path, caplog):
    from annotate.errors import EvaluationError
    from train.generation import adapter_variant
    from train.runs import list_runs

    good, broken, unfinished = (tmp_path / name for name in ("good", "broken", "unfinished"))
    for folder in (good, broken, unfinished):
        folder.mkdir()
    (good / "run.json").write_text(json.dumps({"run_id": "good", "finished_at": "2026-12-03T10:00:00+00:00"}))
    (broken / "run.json").write_text('{"run_id": "broken", ')
    assert [run["run_id"] for run in list_runs(tmp_path)] == ["good"]
    assert "broken/run.json: cannot read it as JSON" in caplog.text
    with pytest.raises(EvaluationError, match=r"--adapter .*broken/run\.json: cannot read it as JSON"):
        adapter_variant(broken, str(tmp_path))
    with pytest.raises(EvaluationError, match=r"--adapter .*unfinished: not a finished run \(no run\.json\)"):
        adapter_variant(unfinished, str(tmp_path))
