"""`flywheel export`: decisions to TRL-format snapshots, with gates, splits, rehearsal, lineage and versions."""

from __future__ import annotations

import json

import pytest

from annotate.export.build import build_export
from annotate.export.spec import ExportSpec
from tests.conftest import EXPERT, REPO


def _rows(folder, split="train"):
    return [json.loads(line) for line in (folder / f"{split}.jsonl").read_text().splitlines()]


def test_sft_export_writes_a_versioned_snapshot_with_lineage(store, project, decided, cli):
    result = cli("export", "--kind", "sft", "--name", "support-sft", "--seed", "3")
    assert result.exit_code == 0, result.output
    folder = project.root / "exports" / "support-sft" / "v1"
    train, evaluation = _rows(folder), _rows(folder, "eval")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["counts"]["train"] == len(train) and manifest["counts"]["eval"] == len(evaluation)
    assert len(train) + len(evaluation) == 38 + 2  # 38 usable corrections + 2 written better answers; unusable never
    assert all(row["messages"][-1]["role"] == "assistant" for row in train)
    corrected = next(row for row in train + evaluation if row["id"] == "t1")
    assert corrected["messages"][-1]["content"].startswith("A complete, corrected answer 0")
    lineage = {row["id"]: row for row in manifest["rows"]}
    assert lineage["t1"]["task_id"] == 1 and lineage["t1"]["annotators"] == [EXPERT] and lineage["t1"]["record_ids"]
    import hashlib
    assert manifest["files"]["train.jsonl"] == hashlib.sha256((folder / "train.jsonl").read_bytes()).hexdigest()
    assert "load_dataset" in (folder / "README.md").read_text()

    again = cli("export", "--kind", "sft", "--name", "support-sft", "--seed", "3")
    assert again.exit_code == 0 and (project.root / "exports" / "support-sft" / "v2").is_dir()
    assert _rows(project.root / "exports" / "support-sft" / "v2") == train  # deterministic given the seed
    listed = cli("export", "list")
    assert "support-sft" in listed.output and "v2" in listed.output
    diff = cli("export", "diff", "support-sft", "v1", "v2")
    assert "0 added, 0 removed, 0 changed" in diff.output
    shown = json.loads(cli("export", "show", "support-sft", "v1").output)
    assert shown["version"] == 1 and "rows" not in shown


def test_dpo_and_kto_rows_follow_the_trl_formats(store, project, decided):
    dpo = build_export(store, project, "dpo", ExportSpec(), seed=0)
    rows = dpo.train + dpo.eval
    origins = {example.origin for example in rows}
    assert origins == {"correction", "preference"}
    pair = next(example for example in rows if example.id.endswith("-edit"))
    assert pair.chosen.startswith("A complete") and pair.rejected.startswith("Original answer")
    assert not any(example.id.startswith(f"t{task}") for task in decided[1][2::5] for example in rows)  # ties dropped
    assert sum(1 for example in rows if "-over-" in example.id) == 4  # both bad + better: better over each
    kto = build_export(store, project, "kto", ExportSpec(selection={"include_feedback": False}), seed=0)
    labels = [example.label for example in kto.train + kto.eval]
    assert True in labels and False in labels


def test_the_exported_files_load_with_datasets_and_pass_trl_s_format_checks(store, project, decided, cli):
    from datasets import load_dataset
    from trl.data_utils import is_conversational

    for kind in ("sft", "dpo", "kto"):
        assert cli("export", "--kind", kind, "--name", f"all-{kind}").exit_code == 0
        folder = project.root / "exports" / f"all-{kind}" / "v1"
        data = load_dataset("json", data_files={"train": str(folder / "train.jsonl")})["train"]
        assert len(data) > 0 and is_conversational(data[0])


def test_rehearsal_is_mixed_at_its_share_and_recorded(store, project, decided, cli):
    general = REPO / "data" / "sample" / "rehearsal_general.jsonl"
    result = cli("export", "--kind", "sft", "--name", "mixed", "--rehearsal", f"{general}:0.25")
    assert result.exit_code == 0, result.output
    folder = project.root / "exports" / "mixed" / "v1"
    train = _rows(folder)
    rehearsed = [row for row in train if row["id"].startswith("rh:")]
    assert abs(len(rehearsed) / len(train) - 0.25) < 0.03
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["rehearsal"][0]["ratio"] == 0.25 and manifest["rehearsal"][0]["examples"] == len(rehearsed)
    assert not any(row["id"].startswith("rh:") for row in _rows(folder, "eval"))
    assert cli("export", "--kind", "sft", "--name", "bad", "--rehearsal", f"{general}:1.5").exit_code == 1


def test_a_killed_export_leaves_no_half_snapshot(store, project, decided, monkeypatch):
    from annotate.export import snapshot

    plan = build_export(store, project, "sft", ExportSpec(), seed=0)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(snapshot, "_card", crash)
    with pytest.raises(KeyboardInterrupt):
        snapshot.write_snapshot(store, project, "crashy", plan)
    assert [path.name for path in (project.root / "exports" / "crashy").iterdir()] == [".lock"]  # the lock file only
    assert store.datasets("crashy") == []


def test_paraphrases_never_straddle_the_split(store, project, decided):
    # Plant paraphrases of one question in a group: whatever the seed, they land on one side.
    with store.transaction():
        store.db.execute("UPDATE records SET group_id = 'g1' WHERE id IN (SELECT record_id FROM tasks WHERE id IN (2, 3, 4, 8))")
    for seed in range(6):
        plan = build_export(store, project, "sft", ExportSpec(split={"eval_fraction": 0.3}), seed=seed)
        sides = {example.split for example in plan.train + plan.eval if example.id in ("t2", "t3", "t4", "t8")}
        assert len(sides) == 1
        assert plan.eval, "a 0.3 eval share holds something back"


def test_an_earlier_versions_eval_prompts_never_enter_a_later_versions_train(store, project, decided, cli):
    from annotate.export.snapshot import write_snapshot

    first = build_export(store, project, "sft", ExportSpec(split={"eval_fraction": 0.3}), seed=1, name="frozen")
    write_snapshot(store, project, "frozen", first)
    held_out = {row.id for row in first.eval}
    assert held_out
    for seed in (2, 3, 4):  # other seeds would split otherwise; the held-out set stays eval
        later = build_export(store, project, "sft", ExportSpec(split={"eval_fraction": 0.3}), seed=seed, name="frozen")
        assert held_out <= {row.id for row in later.eval} and not held_out & {row.id for row in later.train}
        leakage = next(report for report in later.gates if report.name == "leakage")
        assert leakage.counts["pinned_to_eval"] >= len(held_out) and leakage.counts["frozen_from_versions"] == [1]
    unfrozen = build_export(store, project, "sft", ExportSpec(split={"eval_fraction": 0.3, "frozen_eval": False}),
                            seed=2, name="frozen")  # fmt: skip
    assert held_out & {row.id for row in unfrozen.train}, "without the frozen set another seed splits otherwise"
    other_name = build_export(store, project, "sft", ExportSpec(split={"eval_fraction": 0.3}), seed=2, name="other")
    assert next(r for r in other_name.gates if r.name == "leakage").counts["frozen_from_versions"] == []


@pytest.mark.slow
def test_one_trl_sft_step_and_one_dpo_step_train_on_an_actual_export(store, project, decided, tiny_model, cli, tmp_path):
    import torch
    from datasets import load_dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer

    torch.set_num_threads(1)
    for kind in ("sft", "dpo"):
        assert cli("export", "--kind", kind, "--name", f"train-{kind}").exit_code == 0
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", task_type="CAUSAL_LM")
    common = {"max_steps": 1, "per_device_train_batch_size": 2, "report_to": [], "bf16": False, "use_cpu": True,
              "logging_steps": 1, "save_strategy": "no"}  # fmt: skip

    sft_data = load_dataset("json", data_files=str(project.root / "exports/train-sft/v1/train.jsonl"))["train"]
    sft = SFTTrainer(model=AutoModelForCausalLM.from_pretrained(tiny_model), processing_class=tokenizer, peft_config=lora,
                     train_dataset=sft_data, args=SFTConfig(output_dir=str(tmp_path / "sft"), max_length=256,
                                                           assistant_only_loss=True, **common))  # fmt: skip
    sft_loss = sft.train().training_loss
    dpo_data = load_dataset("json", data_files=str(project.root / "exports/train-dpo/v1/train.jsonl"))["train"]
    dpo = DPOTrainer(model=AutoModelForCausalLM.from_pretrained(tiny_model), ref_model=None, processing_class=tokenizer,
                     peft_config=lora, train_dataset=dpo_data,
                     args=DPOConfig(output_dir=str(tmp_path / "dpo"), max_length=256, **common))  # fmt: skip
    dpo_loss = dpo.train().training_loss
    assert sft_loss > 0 and dpo_loss > 0 and all(map(lambda x: x == x, (sft_loss, dpo_loss)))  # finite, not NaN


def test_an_export_with_nothing_in_it_is_refused(project, cli):
    result = cli("export", "--kind", "sft", "--name", "empty")
    assert result.exit_code == 1 and "nothing to export" in result.output
    assert not (project.root / "exports" / "empty").exists() or not any((project.root / "exports" / "empty").iterdir())


KILLED_EXPORT = """
import sys, time
from annotate.export import snapshot
from annotate.export.build import build_export
from annotate.export.spec import ExportSpec
from annotate.project import find_project

def stall(*args, **kwargs):
    print("files written", flush=True)
    time.sleep(600)

snapshot._card = stall
project = find_project(sys.argv[1], None)
with project.open_store() as store:
    snapshot.write_snapshot(store, project, "killed", build_export(store, project, "sft", ExportSpec()))
"""


def test_an_export_killed_midway_leaves_no_snapshot_and_the_next_one_is_v1(store, project, decided, tmp_path):
    import subprocess
    import sys

    script = tmp_path / "killed_export.py"
    script.write_text(KILLED_EXPORT)
    process = subprocess.Popen([sys.executable, str(script), str(project.root)], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert process.stdout.readline().strip() == "files written"  # train/eval and manifest are on disk
    finally:
        process.kill()
        process.wait(timeout=30)
    folder = project.root / "exports" / "killed"
    assert [path.name for path in folder.iterdir() if not path.name.startswith(".")] == []
    assert store.datasets("killed") == []
    plan = build_export(store, project, "sft", ExportSpec())
    from annotate.export.snapshot import write_snapshot

    assert write_snapshot(store, project, "killed", plan).name == "v1"


def test_a_small_export_still_holds_out_its_eval_share(store, project, decided, cli):
    result = cli("export", "--kind", "sft", "--name", "small")
    assert result.exit_code == 0, result.output
    counts = json.loads((project.root / "exports" / "small" / "v1" / "manifest.json").read_text())["counts"]
    total = counts["train"] + counts["eval"]
    assert total < 60 and 0.05 * total <= counts["eval"] <= 0.2 * total  # the default eval_fraction is 0.1
