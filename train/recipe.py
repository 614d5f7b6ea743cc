"""The steps every training run takes, SFT and DPO alike, read top to bottom.

1. Check the snapshot against its manifest (`train.snapshot`) and read the settings (`train.settings`).
2. Pick defaults for the hardware present: bf16 only where the GPU supports it, the CPU otherwise,
   and one torch thread on small CPU machines (two threads ran 5-50x slower than one on 2 cores).
3. Load the tokenizer and base model (a local folder, or a hub id where a hub is reachable); for DPO
   on top of SFT, merge the SFT adapter into the base first (`--init-adapter`).
4. Build the peft config of the chosen method (LoRA by default) or none for full fine-tuning, and
   let TRL's trainer do the rest: batching, masking, loss, checkpoints, `accelerate` distribution.
5. Save the adapter and tokenizer, the metrics (CSV and PNG), optionally a merged model, and last
   `run.json` with the lineage.

torch, transformers, trl and peft are imported inside the functions: importing this is cheap.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from annotate.contracts.lineage import code_version
from annotate.contracts.training import RunRequest
from annotate.errors import TrainingError
from train.chat_template import renders_tool_calls
from train.runs import adapter_folder, base_model_lineage, last_checkpoint, new_run_id, write_metrics, write_run_json
from train.settings import METHODS, RunSettings, load_settings
from train.snapshot import Snapshot, open_snapshot

log = logging.getLogger(__name__)

SMALL_CPU_MACHINE = 4  # cores: at or below, torch runs on one thread
TRAINER_DEFAULTS = {  # ours, under the file's and the overrides' values
    "per_device_train_batch_size": 8,
    "num_train_epochs": 1,
    "learning_rate": 2e-4,
    "logging_steps": 1,
    "save_strategy": "steps",
    "save_steps": 50,
    "save_total_limit": 2,
    "report_to": [],
    "max_length": 1024,
    "include_num_input_tokens_seen": "non_padding",
}


@dataclass
class Prepared:
    """Everything a trainer is built from."""

    snapshot: Snapshot
    settings: RunSettings
    run_dir: Path
    trainer_args: Any  # SFTConfig or DPOConfig
    peft_config: Any  # or None for full fine-tuning
    model: Any
    tokenizer: Any
    datasets: dict[str, Any]
    notes: list[str]  # what the defaults decided, for the log and run.json
    started: float


def prepare(kind: str, request: RunRequest, config_class: type) -> Prepared:
    """Steps 1 to 4 (the module docstring) for a trainer taking `config_class` (SFTConfig or DPOConfig)."""
    started = time.perf_counter()
    snapshot = open_snapshot(request.data, kind)
    settings = load_settings(request.config, request.overrides, config_class)
    run_dir = _run_dir(kind, request, snapshot)
    notes: list[str] = []

    import torch

    hardware = _hardware_defaults(torch, notes)
    trainer_values = {**TRAINER_DEFAULTS, **hardware, "seed": request.seed, "data_seed": request.seed,
                      **settings.trainer, "output_dir": str(run_dir / "checkpoints")}  # fmt: skip
    tokenizer = _load_tokenizer(request)
    _refuse_silent_tool_calls(tokenizer, snapshot, request)
    if kind == "sft" and "assistant_only_loss" not in settings.trainer:
        trainer_values["assistant_only_loss"] = _assistant_only_loss_possible(tokenizer, snapshot, notes)
    try:  # before the model loads: a bad value fails in seconds, not after loading a large base
        trainer_args = config_class(**trainer_values)
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"{settings.source}: [trainer] settings rejected by {config_class.__name__}: {exc}") from exc
    peft_config = _peft_config(settings)
    model = _load_model(request, notes)
    run_dir.mkdir(parents=True, exist_ok=True)
    from datasets import load_dataset

    files = {"train": str(snapshot.train_file)}
    if snapshot.eval_file is not None:
        files["eval"] = str(snapshot.eval_file)
    datasets = load_dataset("json", data_files=files)
    return Prepared(snapshot, settings, run_dir, trainer_args, peft_config, model, tokenizer, datasets, notes, started)


def finish(kind: str, request: RunRequest, prepared: Prepared, trainer: Any) -> Path:
    """Train (resuming when asked), then step 5. Returns the run folder."""
    checkpoint = last_checkpoint(prepared.run_dir) if request.resume else None
    if request.resume and checkpoint is None:
        log.warning("%s has no checkpoint yet: starting from the first step", prepared.run_dir)
    if prepared.trainer_args.disable_tqdm:  # quiet: no bar, and no per-step print either (metrics.csv has them)
        from transformers import PrinterCallback

        trainer.remove_callback(PrinterCallback)
    tokens_before = _tokens_seen_at(checkpoint)
    if trainer.train_dataset is not None and len(trainer.train_dataset) == 0:
        raise TrainingError(f"{prepared.snapshot.train_file}: no training row is left after tokenization: with "
                            f"max_length {prepared.trainer_args.max_length} each answer was cut off (offered tools "
                            "and tool results make long prompts); raise trainer.max_length or shorten the prompts")  # fmt: skip
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    adapter_dir = prepared.run_dir / "adapter"
    trainer.save_model(str(adapter_dir))
    prepared.tokenizer.save_pretrained(adapter_dir)
    (prepared.run_dir / "config.json").write_text(json.dumps(_resolved(prepared), indent=2, default=str) + "\n")
    metrics = write_metrics(prepared.run_dir, trainer.state.log_history)
    if request.merge:
        _save_merged(trainer.model, prepared)
    import torch

    record = {
        "run_id": prepared.run_dir.name, "kind": kind, "status": "finished",
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "snapshot": prepared.snapshot.lineage(), "base_model": base_model_lineage(request.base),
        "init_adapter": str(request.init_adapter) if request.init_adapter else None,
        "method": prepared.settings.method, "code_version": code_version(), "seed": request.seed,
        "hardware": _hardware(torch), "wall_seconds": round(time.perf_counter() - prepared.started, 2),
        "train_seconds": round(result.metrics.get("train_runtime", 0.0), 3), "steps": trainer.state.global_step,
        "tokens_seen": int(trainer.state.num_input_tokens_seen or 0),  # every session of the run
        "session_tokens_seen": int(trainer.state.num_input_tokens_seen or 0) - tokens_before,  # in train_seconds
        "resumed_from": str(checkpoint) if checkpoint else None, "final_loss": result.training_loss,
        "last_metrics": metrics[-1] if metrics else {}, "notes": prepared.notes,
        "adapter": str(adapter_dir), "merged": str(prepared.run_dir / "merged") if request.merge else None,
    }  # fmt: skip
    write_run_json(prepared.run_dir, record)
    return prepared.run_dir


def _tokens_seen_at(checkpoint: Path | None) -> int:
    """Tokens the run had seen when `checkpoint` was saved (0 for a fresh start)."""
    if checkpoint is None or not (checkpoint / "trainer_state.json").is_file():
        return 0
    return int(json.loads((checkpoint / "trainer_state.json").read_text()).get("num_input_tokens_seen") or 0)


def _run_dir(kind: str, request: RunRequest, snapshot: Snapshot) -> Path:
    if request.resume is not None:
        folder = Path(request.resume)
        if not (folder / "config.json").is_file() and not (folder / "checkpoints").is_dir():
            raise TrainingError(f"{folder}: not a run folder to resume (no checkpoints/ in it)")
        return folder
    folder = Path(request.runs_dir) / (request.run_id or new_run_id(kind, snapshot.name, snapshot.version))
    if (folder / "run.json").exists():
        raise TrainingError(f"{folder}: a finished run already has this id; pick another --run-id")
    return folder  # made once everything has loaded, so a run refused at the start leaves nothing


def _hardware_defaults(torch, notes: list[str]) -> dict[str, Any]:
    if torch.cuda.is_available():
        bf16 = torch.cuda.is_bf16_supported()
        notes.append(f"GPU {torch.cuda.get_device_name(0)}: bf16 {'on' if bf16 else 'off (unsupported)'}")
        return {"bf16": bf16, "use_cpu": False}
    cores = os.cpu_count() or 1
    if cores <= SMALL_CPU_MACHINE:
        torch.set_num_threads(1)
        notes.append(f"CPU with {cores} cores: torch on one thread")
    else:
        notes.append(f"CPU with {cores} cores: torch on {torch.get_num_threads()} threads")
    return {"bf16": False, "use_cpu": True, "gradient_checkpointing": False}


def _load_tokenizer(request: RunRequest):
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(request.base)
    except OSError as exc:
        raise TrainingError(_unloadable(request.base, exc)) from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _load_model(request: RunRequest, notes: list[str]):
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(request.base)
    except OSError as exc:
        raise TrainingError(_unloadable(request.base, exc)) from exc
    if request.init_adapter is not None:
        model = _merged_with(model, request.init_adapter)
        notes.append(f"started from the base merged with the adapter of {request.init_adapter}")
    return model


def _unloadable(base: str, exc: Exception) -> str:
    return (f"--base {base}: cannot load a tokenizer and causal LM from it ({exc}). Give a local model folder "
            "(flywheel train tiny-model OUT makes one) or a hub id where a hub is reachable.")  # fmt: skip


def _merged_with(model, init_adapter: Path):
    """The base with an earlier run's adapter merged into its weights (the new run's reference model)."""
    from peft import PeftModel

    adapter = adapter_folder(init_adapter)
    if adapter is None:
        raise TrainingError(f"--init-adapter {init_adapter}: no adapter in it (expected a run folder with adapter/)")
    return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()


def _refuse_silent_tool_calls(tokenizer, snapshot: Snapshot, request: RunRequest) -> None:
    """Tool-calling rows need a chat template that renders `tool_calls`: any other drops the calls,
    and the trainer would learn an empty assistant turn."""
    with open(snapshot.train_file, encoding="utf-8") as rows:
        calls = any('"tool_calls"' in row for row in rows)
    if calls and not renders_tool_calls(tokenizer):
        raise TrainingError(f"{snapshot.train_file}: its rows call tools, but the chat template of {request.base} does not "
                            "render tool_calls, so the calls would be dropped and empty turns trained on; give the base "
                            "a template that renders tools (Flywheel's ChatML one: train/chat_template.py)")  # fmt: skip


def _assistant_only_loss_possible(tokenizer, snapshot: Snapshot, notes: list[str]) -> bool:
    """Conversational SFT trains on the assistant's turns only when the chat template marks them."""
    with open(snapshot.train_file, encoding="utf-8") as rows:
        first = json.loads(rows.readline() or "{}")
    if "messages" not in first:
        notes.append("prompt/completion data: TRL trains on the completion only")
        return False
    template = tokenizer.chat_template or ""
    if "{% generation %}" in template or "{%- generation %}" in template:
        notes.append("assistant_only_loss on: the chat template marks the assistant's turns")
        return True
    notes.append("assistant_only_loss off: the chat template has no {% generation %} markers, so the loss covers "
                 "the whole conversation")  # fmt: skip
    log.warning(notes[-1])
    return False


def _peft_config(settings: RunSettings):
    class_name = METHODS[settings.method]
    if class_name is None:
        return None
    import peft

    try:
        return getattr(peft, class_name)(task_type="CAUSAL_LM", **settings.adapter)
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"{settings.source}: [adapter] settings rejected by {class_name}: {exc}") from exc


def _save_merged(model, prepared: Prepared) -> None:
    merged = model.merge_and_unload() if hasattr(model, "merge_and_unload") else model
    merged.save_pretrained(prepared.run_dir / "merged")
    prepared.tokenizer.save_pretrained(prepared.run_dir / "merged")


def _resolved(prepared: Prepared) -> dict[str, Any]:
    args = prepared.trainer_args.to_dict()
    peft_config = prepared.peft_config.to_dict() if prepared.peft_config is not None else None
    return {"trainer": args, "adapter": {"method": prepared.settings.method, "peft_config": peft_config},
            "settings_file": prepared.settings.source}  # fmt: skip


def _hardware(torch) -> dict[str, Any]:
    devices = [torch.cuda.get_device_name(index) for index in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    return {"devices": devices or ["cpu"], "torch": torch.__version__, "threads": torch.get_num_threads(),
            "machine": platform.machine(), "python": platform.python_version()}  # fmt: skip
