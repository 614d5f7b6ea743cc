"""The tiny local chat model: reloads through the Auto classes, marks assistant turns, is reproducible."""

from __future__ import annotations

import subprocess
import sys

from train.tiny_model import build_tiny_model

TEXTS = ["How do I export invoices?", "Go to Reports > Export.", "Can I add a user?", "Yes, under Settings > Users."]


def test_the_tiny_model_reloads_through_the_auto_classes(tiny_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    assert model.num_parameters() < 3_000_000
    assert model.config.vocab_size == len(tokenizer) == 512
    assert (tokenizer.eos_token, tokenizer.pad_token) == ("<|im_end|>", "<|pad|>")
    assert tokenizer.convert_tokens_to_ids("<|im_start|>") != tokenizer.unk_token_id
    assert tokenizer.decode(tokenizer("Go to Reports > Export.")["input_ids"]) == "Go to Reports > Export."


def test_its_chat_template_marks_the_assistant_turn_for_assistant_only_loss(tiny_model):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    messages = [{"role": "user", "content": "Export invoices?"}, {"role": "assistant", "content": "Go to Reports."}]
    assert "{% generation %}" in tokenizer.chat_template
    rendered = tokenizer.apply_chat_template(messages, tokenize=False)
    assert rendered == "<|im_start|>user\nExport invoices?<|im_end|>\n<|im_start|>assistant\nGo to Reports.<|im_end|>\n"
    encoded = tokenizer.apply_chat_template(messages, return_dict=True, return_assistant_tokens_mask=True)
    trained = [token for token, mask in zip(encoded["input_ids"], encoded["assistant_masks"]) if mask]
    assert tokenizer.decode(trained) == "Go to Reports.<|im_end|>"


def test_the_generation_prompt_opens_an_assistant_turn(tiny_model):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    messages = [{"role": "user", "content": "Hi"}]
    rendered = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert rendered.endswith("<|im_end|>\n<|im_start|>assistant\n")


def test_the_same_texts_and_seed_build_the_same_files(tmp_path):
    first = build_tiny_model(tmp_path / "first", TEXTS, seed=3)
    second = build_tiny_model(tmp_path / "second", TEXTS, seed=3)
    other_seed = build_tiny_model(tmp_path / "other", TEXTS, seed=4)
    names = sorted(path.name for path in first.iterdir())
    assert "model.safetensors" in names and "tokenizer.json" in names
    assert all((first / name).read_bytes() == (second / name).read_bytes() for name in names)
    assert (first / "model.safetensors").read_bytes() != (other_seed / "model.safetensors").read_bytes()


def test_importing_the_module_does_not_import_torch_or_transformers():
    code = "import sys, train.tiny_model; assert not {'torch', 'transformers', 'tokenizers'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
