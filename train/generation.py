"""The models under evaluation, and the two things evaluation asks of them: answers and likelihoods.

A variant is the base model, the base model with the prompt baseline, or an adapter from a run
folder. An adapter is applied the way it was trained: a DPO run started from an SFT adapter
(`--init-adapter`) has that adapter merged into the base first; a full fine-tuning run's folder
holds the whole model. Every variant decodes with the same settings: greedy (deterministic),
prompts sorted by length into batches, left padding, prompts over `max_length` tokens keeping
their end. An item that offers tools has them passed to the chat template (`tools=`), which a
tool-calling template renders into the prompt and one without tool support ignores; earlier calls in
the conversation are written into their assistant turns' text for a template that does not render
`tool_calls` (`chat_text`).

torch, transformers and peft are imported inside the functions.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.errors import EvaluationError, TrainingError
from annotate.text.degenerate import END_OF_TURN, LENGTH, OTHER_TOKEN, Generation
from annotate.text.tool_calls import response_text
from train.chat_template import renders_tool_calls
from train.recipe import SMALL_CPU_MACHINE
from train.runs import adapter_folder, base_model_lineage, read_run

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Variant:
    name: str
    kind: str  # base | prompt_baseline | retrieval_few_shot | adapter | shipped (an adapter live now)
    run_dir: Path | None = None
    run: dict = field(default_factory=dict)  # the adapter's run.json


@dataclass(frozen=True)
class Decoding:
    max_new_tokens: int
    batch_size: int
    max_length: int


def adapter_variant(run_dir: Path, base: str) -> Variant:
    """A run folder as a variant, checked: finished, and trained on this base."""
    run_dir = Path(run_dir)
    try:
        run = read_run(run_dir)
    except TrainingError as exc:
        raise EvaluationError(f"--adapter {exc}") from exc
    trained_on = run.get("base_model", {}).get("config_sha256")
    given = base_model_lineage(base).get("config_sha256")
    if trained_on and given and trained_on != given:
        raise EvaluationError(f"--adapter {run_dir}: trained on base {run['base_model'].get('path')}, whose config differs "
                              f"from --base {base}'s; evaluate it against the base it was trained on")  # fmt: skip
    return Variant(run.get("run_id", run_dir.name), "adapter", run_dir, run)


def shipped_variant(source: Path, base: str) -> Variant:
    """`flywheel eval --against`: the version live now, from its run folder or from the report that
    shipped it (the candidate whose outcome there was "ship")."""
    from annotate.contracts.report import REPORT_FILE, read_report

    source = Path(source)
    if (source / REPORT_FILE).is_file():
        report = read_report(source)
        outcomes = report.get("outcomes") or {name: "ship" if ok else "regression" for name, ok in report.get("verdicts", {}).items()}
        shipped = [v for v in report.get("variants", []) if outcomes.get(v["name"]) == "ship" and v.get("run_dir")]
        if len(shipped) != 1:
            raise EvaluationError(f"--against {source}: {len(shipped)} candidates shipped in that report; give the run "
                                  "folder of the version that is live (runs/RUN)")  # fmt: skip
        source = Path(shipped[0]["run_dir"])
    variant = adapter_variant(source, base)
    return Variant(variant.name, "shipped", variant.run_dir, variant.run)


def adapter_bytes(variant: Variant) -> int | None:
    """The size on disk of what a variant adds to the base: its adapter files (a full run: its weights)."""
    if variant.run_dir is None:
        return None
    folder = adapter_folder(variant.run_dir) or variant.run_dir / "adapter"
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else None


def choose_device(torch) -> tuple[str, Any]:
    """(device, dtype): a GPU in bf16 where supported, else the CPU in float32 (one thread on small machines)."""
    if torch.cuda.is_available():
        return "cuda", torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if (os.cpu_count() or 1) <= SMALL_CPU_MACHINE:
        torch.set_num_threads(1)
    return "cpu", torch.float32


def load_tokenizer(base: str):
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(base)
    except OSError as exc:
        raise EvaluationError(f"--base {base}: cannot load a tokenizer from it ({exc})") from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_variant(variant: Variant, base: str, device: str, dtype):
    """The model a variant answers with, in eval mode on `device`."""
    from transformers import AutoModelForCausalLM

    def causal_lm(path: str | Path):
        try:
            return AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype)
        except OSError as exc:
            raise EvaluationError(f"{path}: cannot load a causal LM from it ({exc})") from exc

    if variant.run_dir is None:
        model = causal_lm(base)
    elif variant.run.get("method") == "full":
        model = causal_lm(variant.run_dir / "adapter")
    else:
        model = causal_lm(base)
        if variant.run.get("init_adapter"):
            model = _with_adapter(model, Path(variant.run["init_adapter"]))
        model = _with_adapter(model, variant.run_dir)
    return model.to(device).eval()


def _with_adapter(model, folder: Path):
    """The model with a run's adapter: merged into the weights where the method allows (LoRA, IA3:
    the same answers, faster), kept as a wrapper otherwise (prompt and prefix tuning)."""
    from peft import PeftModel

    adapter = adapter_folder(folder)
    if adapter is None:
        raise EvaluationError(f"{folder}: no adapter in it (expected a run folder with adapter/)")
    adapted = PeftModel.from_pretrained(model, str(adapter))
    return adapted.merge_and_unload() if not adapted.peft_config["default"].is_prompt_learning else adapted


def chat_text(tokenizer, prompt: list[dict], tools: list[dict] | None = None) -> str:
    """A conversation as the model reads it before its answer: the chat template with the generation
    prompt and the offered `tools`; a template that does not render `tool_calls` gets each earlier
    call as a `<tool_call>` block in its assistant turn's text, so the model still sees it."""
    if not renders_tool_calls(tokenizer):
        prompt = [{**{k: v for k, v in m.items() if k != "tool_calls"}, "content": response_text(m.get("content"), m["tool_calls"])}
                  if m.get("tool_calls") else m for m in prompt]  # fmt: skip
    return tokenizer.apply_chat_template(prompt, tools=tools or None, add_generation_prompt=True, tokenize=False)


def generate(model, tokenizer, prompts: Sequence[list[dict]], decoding: Decoding, device: str,
             progress: Progress | None = None, label: str = "", tools: Sequence[list[dict] | None] | None = None) -> list[Generation]:  # fmt: skip
    """Greedy answers to each conversation, in order, each with how it ended: at the end-of-turn
    token (the tokenizer's eos), at another special token (generation stops at every special
    token, so a model writing `<|im_start|>` or `<|endoftext|>` is caught there), or at
    `max_new_tokens`; and its share of its batch's wall time. `tools`: each conversation's offered
    tools (None: none)."""
    import torch

    texts = [chat_text(tokenizer, prompt, tools[index] if tools else None) for index, prompt in enumerate(prompts)]
    limit = _prompt_limit(model, decoding, decoding.max_new_tokens)
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False, truncation=True, max_length=limit)["input_ids"]]
    order = sorted(range(len(texts)), key=lambda index: (-lengths[index], index))
    answers: list[Generation] = [Generation("")] * len(texts)
    end_of_turn = tokenizer.eos_token_id
    stops = sorted({end_of_turn, *tokenizer.all_special_ids} - {None})
    tokenizer.padding_side, tokenizer.truncation_side = "left", "left"
    for start in range(0, len(order), decoding.batch_size):
        batch_ids = order[start : start + decoding.batch_size]
        batch = tokenizer([texts[index] for index in batch_ids], return_tensors="pt", padding=True, truncation=True,
                          max_length=limit, add_special_tokens=False).to(device)  # fmt: skip
        started = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(**batch, max_new_tokens=decoding.max_new_tokens, do_sample=False, num_beams=1,
                                 pad_token_id=tokenizer.pad_token_id, eos_token_id=stops)  # fmt: skip
        seconds = (time.perf_counter() - started) / len(batch_ids)
        for index, row in zip(batch_ids, out[:, batch["input_ids"].shape[1] :].tolist()):
            answers[index] = _ending(tokenizer, row, set(stops), end_of_turn, seconds)
        if progress:
            progress(min(start + decoding.batch_size, len(order)), len(order), label)
    return answers


def _ending(tokenizer, new_tokens: list[int], stops: set[int], end_of_turn: int, seconds: float) -> Generation:
    """One answer's text up to its first stop token, and which token (if any) ended it."""
    at = next((position for position, token in enumerate(new_tokens) if token in stops), None)
    kept = new_tokens if at is None else new_tokens[:at]
    text = tokenizer.decode(kept, skip_special_tokens=True).strip()
    if at is None:
        return Generation(text, len(kept), LENGTH, None, seconds)
    token = new_tokens[at]
    if token == end_of_turn:
        return Generation(text, len(kept), END_OF_TURN, None, seconds)
    return Generation(text, len(kept), OTHER_TOKEN, tokenizer.convert_ids_to_tokens(token), seconds)


def continuation_log_likelihoods(model, tokenizer, prompts: Sequence[list[dict]], continuations: Sequence[str],
                                 decoding: Decoding, device: str) -> list[tuple[float, int]]:  # fmt: skip
    """(sum of log-probabilities, tokens) of each continuation as the assistant's answer to its prompt."""
    import torch

    limit = _prompt_limit(model, decoding, 0)
    pairs = []
    for prompt, continuation in zip(prompts, continuations):
        prefix = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
        whole = tokenizer.apply_chat_template([*prompt, {"role": "assistant", "content": continuation}], tokenize=False)
        prefix_ids = tokenizer(prefix, add_special_tokens=False)["input_ids"]
        whole_ids = tokenizer(whole, add_special_tokens=False)["input_ids"]
        if whole_ids[: len(prefix_ids)] != prefix_ids:  # a template that re-renders earlier turns: score the answer alone
            whole_ids = prefix_ids + tokenizer(continuation, add_special_tokens=False)["input_ids"]
        answer_tokens = max(1, len(whole_ids) - len(prefix_ids))
        whole_ids = whole_ids[-limit:]  # a long prompt loses its start, never the answer's tokens
        pairs.append((whole_ids, min(answer_tokens, len(whole_ids) - 1)))
    results: list[tuple[float, int]] = []
    for start in range(0, len(pairs), decoding.batch_size):
        batch = pairs[start : start + decoding.batch_size]
        width = max(len(ids) for ids, _ in batch)
        input_ids = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (ids, _) in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            mask[row, : len(ids)] = 1
        with torch.inference_mode():
            logits = model(input_ids=input_ids.to(device), attention_mask=mask.to(device)).logits.float()
        log_probs = torch.log_softmax(logits[:, :-1], dim=-1)
        targets = input_ids[:, 1:].to(device)
        token_log_probs = log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        for row, (ids, n_answer) in enumerate(batch):
            end = len(ids) - 1  # predictions for tokens 1..len-1
            results.append((float(token_log_probs[row, end - n_answer : end].sum()), n_answer))
    return results


def _prompt_limit(model, decoding: Decoding, room: int) -> int:
    """The most prompt tokens to keep: `max_length`, and no more than the model's window leaves
    after `room` new tokens."""
    window = getattr(model.config, "max_position_embeddings", None)
    limit = decoding.max_length if window is None else min(decoding.max_length, window - room)
    if limit < 1:
        raise EvaluationError(f"max_new_tokens = {decoding.max_new_tokens} leaves no room for a prompt in the model's "
                              f"{window}-token window: lower [eval] max_new_tokens")  # fmt: skip
    return limit
