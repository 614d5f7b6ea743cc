"""Confidence signals of a local causal LM for records' responses.

`score_records(store, model_path)` runs the model over every record it has not scored yet and
stores, over the RESPONSE tokens only: the mean and the minimum token log-probability (natural
log, so <= 0), the mean entropy of the model's predictive distribution (nats) and the number of
response tokens scored.

- Scorer: signals are stored under `scorer_name(model_path)`: the resolved absolute path when
  `model_path` is a local folder (so `./m` and `/abs/m` are one scorer), else the string as given
  (a hub id, loaded through the local Hugging Face cache).
- Input: the record's `messages` rendered with the tokenizer's chat template and
  `add_generation_prompt=True` (without a template: "role: content" lines, then "assistant: "),
  followed by the response tokenized on its own, with no end-of-turn token.
- Truncation: when prompt + response exceed the model's `max_position_embeddings`, tokens are cut
  from the LEFT, so the end of the response is always kept; a response longer than the window
  has only its last `max_position_embeddings - 1` tokens scored, and `n_tokens` says how many.
- Batching: left padding with position ids counted from the attention mask (as in batched
  generation), and logits computed only for the last tokens (`logits_to_keep`), so memory grows
  with the longest response in a batch, not the longest prompt. Padding does not change scores.
- Resumable: each batch's signals commit together; a killed run resumes where it stopped and a
  finished one has nothing left to do (the model is not even loaded then).

torch and transformers are imported inside the functions (the `train` extra).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotate.errors import ScoringError
from annotate.store import Store

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
SignalRow = tuple[str, float, float, float, int]


def scorer_name(model_path: str) -> str:
    """The name signals are stored under: a local folder's absolute path, else `model_path` as given."""
    folder = Path(model_path).expanduser()
    return str(folder.resolve()) if folder.is_dir() else model_path


def score_records(
    store: Store,
    model_path: str,
    *,
    batch_size: int = 8,
    threads: int = 1,
    limit: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Score up to `limit` records not yet scored by this model, in committed batches; return how many."""
    torch = _require_training_extra()
    scorer = scorer_name(model_path)
    total = store.count_records_to_score(scorer)
    total = total if limit is None else min(total, limit)
    if total == 0:
        return 0
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        tokenizer, model = load_model(scorer)
        log.info("scoring %d records with %s", total, scorer)
        with torch.inference_mode():
            return _score_pending(store, scorer, tokenizer, model, batch_size, total, progress)
    finally:
        torch.set_num_threads(previous_threads)


def _require_training_extra():
    try:
        import torch
        import transformers  # noqa: F401  (checked here so the message names the fix)
    except ImportError as exc:
        raise ScoringError(
            f"scoring needs torch and transformers ({exc}): install with pip install -e '.[train]'"
        ) from exc
    return torch


def load_model(model_path: str) -> tuple[Any, Any]:
    """(tokenizer, causal LM in eval mode) from a folder or cached hub id; ScoringError if impossible."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if _names_a_folder(model_path) and not Path(model_path).expanduser().is_dir():
        raise ScoringError(f"cannot load a causal language model from {model_path}: no such folder")
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_path)
        model = AutoModelForCausalLM.from_pretrained(model_path, dtype="auto")
    except (OSError, ValueError) as exc:
        raise ScoringError(f"cannot load a causal language model from {model_path}: {exc}") from exc
    model.eval()
    return tokenizer, model


def _names_a_folder(model_path: str) -> bool:
    """A path rather than a hub id ("name" or "owner/name"), so it is never looked up online."""
    return model_path.startswith((".", "~")) or model_path.count("/") > 1 or Path(model_path).is_absolute()


def _score_pending(
    store: Store, scorer: str, tokenizer, model, batch_size: int, total: int, progress: Progress | None
) -> int:
    max_positions = getattr(model.config, "max_position_embeddings", None)
    done, after = 0, 0
    if progress:
        progress(0, total)
    while done < total:
        records = store.records_to_score(scorer, after_rowid=after, limit=min(batch_size, total - done))
        if not records:
            break
        encoded = [encode(tokenizer, r["messages"], r["response"], max_positions) for r in records]
        store.save_signals(scorer, score_batch(model, [r["id"] for r in records], encoded, tokenizer.pad_token_id or 0))
        done += len(records)
        after = records[-1]["rowid"]
        if progress:
            progress(done, total)
    return done


def encode(tokenizer, messages_json: str, response: str, max_positions: int | None) -> tuple[list[int], int]:
    """(token ids of prompt + response cut to the window from the left, number of response tokens to score)."""
    prompt = prompt_ids(tokenizer, json.loads(messages_json))
    answer = tokenizer(response, add_special_tokens=False)["input_ids"]
    ids = prompt + answer
    if max_positions and len(ids) > max_positions:
        ids = ids[-max_positions:]
    return ids, min(len(answer), len(ids) - 1)  # the first token of the window has nothing to predict it


def prompt_ids(tokenizer, messages: list[dict]) -> list[int]:
    """The conversation up to the model's turn, as the model sees it before answering."""
    if tokenizer.chat_template:
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return tokenizer(text, add_special_tokens=False)["input_ids"]  # the template already has any bos
    text = "".join(f"{message['role']}: {message['content']}\n" for message in messages) + "assistant: "
    return tokenizer(text)["input_ids"]


def score_batch(model, record_ids: list[str], encoded: list[tuple[list[int], int]], pad_id: int) -> list[SignalRow]:
    """One forward pass over left-padded sequences; signals of each sequence's last `n` tokens."""
    input_ids, attention_mask, position_ids, keep = padded_batch(encoded, pad_id)
    width = input_ids.shape[1]
    logits = model(
        input_ids=input_ids,
        attention_mask=attention_mask,
        position_ids=position_ids,
        logits_to_keep=keep,
        use_cache=False,
    ).logits  # logits[:, j] predicts the token at position width - keep + j + 1
    return [
        (record_id, *_signals(logits[row, keep - 1 - n : keep - 1], input_ids[row, width - n :]), n)
        for row, (record_id, (_, n)) in enumerate(zip(record_ids, encoded))
    ]


def padded_batch(encoded: list[tuple[list[int], int]], pad_id: int):
    """(input_ids, attention_mask, position_ids, keep): the sequences left-padded to the longest,
    positions counted from the mask, and how many last positions' logits the signals need."""
    import torch

    width = max(len(ids) for ids, _ in encoded)
    input_ids = torch.full((len(encoded), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros_like(input_ids)
    for row, (ids, _) in enumerate(encoded):
        input_ids[row, width - len(ids) :] = torch.tensor(ids)
        attention_mask[row, width - len(ids) :] = 1
    position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)
    return input_ids, attention_mask, position_ids, max(n for _, n in encoded) + 1


def _signals(logits, targets) -> tuple[float, float, float]:
    """(mean log-probability, min log-probability, mean entropy in nats) of `targets` under `logits`."""
    import torch

    logprobs = logits.float().log_softmax(-1)
    token_logprobs = logprobs.gather(-1, targets[:, None]).squeeze(-1)
    entropy = torch.special.entr(logprobs.exp()).sum(-1)  # entr(0) = 0, so tokens of probability 0 add nothing
    return token_logprobs.mean().item(), token_logprobs.min().item(), entropy.mean().item()
