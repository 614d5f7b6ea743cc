"""Tiny local chat models for tests and the demo: built in seconds on one CPU core, no hub.

`build_tiny_model(out_dir, texts)` trains a byte-level BPE tokenizer on `texts` (default: the
user and assistant texts of `data/sample/records.jsonl`, or a few built-in sentences when that
file is missing), wraps it in `PreTrainedTokenizerFast` with the ChatML tokens `<|im_start|>`
and `<|im_end|>` (also the eos token) and a `<|pad|>` token, and gives it a ChatML chat
template whose assistant turns sit inside `{% generation %}...{% endgeneration %}` (TRL's
`assistant_only_loss=True` refuses a template without those markers). The model is a randomly
initialised `LlamaConfig` causal LM (about 160k parameters with the defaults) whose window is
`max_positions` tokens. Model and tokenizer are saved with `save_pretrained` into `out_dir`,
which then reloads with `AutoTokenizer.from_pretrained(out_dir)` and
`AutoModelForCausalLM.from_pretrained(out_dir)`.

The same texts, sizes and seed give the same files. torch, transformers and tokenizers are
imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from train.chat_template import chatml_template

log = logging.getLogger(__name__)

SAMPLE_RECORDS = Path(__file__).resolve().parent.parent / "data/sample/records.jsonl"
PAD, IM_START, IM_END = "<|pad|>", "<|im_start|>", "<|im_end|>"
FALLBACK_TEXT = (
    "How do I export my invoices? Go to Reports > Export and pick a date range.",
    "Can I add another user to my account? Yes: open Settings > Users and send an invite.",
    "Why was my card declined? The bank refused the payment; try another card or contact the bank.",
    "Thanks, that worked! You're welcome. Is there anything else I can help with?",
)

# ChatML; the assistant turn (content, tool calls and its <|im_end|>) is what TRL's assistant-only loss trains on.
CHAT_TEMPLATE = chatml_template()


def build_tiny_model(
    out_dir: str | Path,
    texts: Iterable[str] | None = None,
    *,
    vocab_size: int = 512,
    hidden_size: int = 64,
    layers: int = 2,
    heads: int = 4,
    max_positions: int = 512,
    seed: int = 0,
) -> Path:
    """Train a tokenizer on `texts`, build a random Llama model, save both into `out_dir`; return it."""
    out = Path(out_dir)
    tokenizer = build_tokenizer(sample_texts() if texts is None else texts, vocab_size, max_positions)
    model = build_model(
        tokenizer, hidden_size=hidden_size, layers=layers, heads=heads, max_positions=max_positions, seed=seed
    )
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    log.info("tiny model (%d parameters, vocabulary %d) saved in %s", model.num_parameters(), len(tokenizer), out)
    return out


def sample_texts(path: Path = SAMPLE_RECORDS) -> Iterator[str]:
    """The user and assistant texts of a Flywheel records file (the built-in sentences without one)."""
    if not path.is_file():
        log.info("%s not found; training the tiny tokenizer on built-in text", path)
        yield from FALLBACK_TEXT
        return
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            yield from (m["content"] for m in row.get("messages", []) if m.get("role") in ("user", "assistant"))
            yield row.get("response", "")


def build_tokenizer(texts: Iterable[str], vocab_size: int, max_positions: int):
    """A byte-level BPE tokenizer trained on `texts`, with ChatML special tokens and chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.post_processor = processors.ByteLevel(trim_offsets=False)  # exact offsets: assistant masks need them
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, IM_START, IM_END],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token=IM_END,
        pad_token=PAD,
        extra_special_tokens=[IM_START],
        chat_template=CHAT_TEMPLATE,
        model_max_length=max_positions,
    )


def build_model(tokenizer, *, hidden_size: int, layers: int, heads: int, max_positions: int, seed: int):
    """A randomly initialised Llama causal LM sized for `tokenizer`, seeded for reproducible weights."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=4 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.convert_tokens_to_ids(IM_START),
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)
