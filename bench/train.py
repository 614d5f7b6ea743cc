"""Benchmark: `flywheel train sft` (LoRA SFT through `train.sft.main`) against a bare TRL `SFTTrainer` script, same settings.

    OMP_NUM_THREADS=1 .venv/bin/python bench/train.py                        # 30 steps, 400 rows, 3 repeats
    OMP_NUM_THREADS=1 .venv/bin/python bench/train.py --steps 10 --repeats 2 # a quick look
    OMP_NUM_THREADS=1 .venv/bin/python bench/train.py --steps 100 --batch-size 16

Setup (timed, printed, not part of the figures), in a temporary folder that is deleted afterwards:
the tiny model (`train.tiny_model.build_tiny_model`: a ~160k-parameter Llama, byte-level BPE
tokenizer of 512 tokens trained on the sample data, ChatML template with `{% generation %}`
markers), and an SFT snapshot folder written here rather than by `flywheel export`: `--rows`
(400) conversational rows from `data/sample/records.jsonl` (cycled when more rows are asked for
than it has), each the record's messages up to its last user turn (role and content only) plus
the record's `response` as the assistant turn, in `train.jsonl`, with a `manifest.json` listing
only `train.jsonl` and its sha256 (`"kind": "sft"`, name `bench-sft`, version 1, counts).
The datasets cache (`HF_DATASETS_CACHE`) is put in the temporary folder too.

Settings, the same for both: `--steps` (30) max_steps, `--batch-size` (8) per device, max_length
256, learning rate 2e-4, logging every step, no checkpoints, seed and data_seed 0, LoRA r=8
alpha=16 dropout 0.05 on all linear layers, assistant_only_loss, fp32 on the CPU on one torch
thread, no gradient checkpointing, `include_num_input_tokens_seen="non_padding"`, no reporting,
no progress bar (the trainer's per-step log lines go to a log file, not the screen).

(a) `train.sft.main(RunRequest(...))` in-process, the settings passed as `--set`-style overrides:
    what `flywheel train sft --data SNAPSHOT --base MODEL --set ...` runs. Figures: run.json's
    `tokens_seen` over its `train_seconds` (the trainer's `train_runtime`), and the wall time of
    the whole `sft.main` call (snapshot check, model load, trainer set-up, training, saving the
    adapter, metrics CSV/PNG and run.json), with the parts of it outside the trainer that
    `train.recipe` calls timed by wrapping them (`open_snapshot`, `load_settings`, `_load_base`,
    `write_metrics`, `code_version`).
(b) Baseline, in-process: AutoTokenizer / AutoModelForCausalLM from the model folder,
    `datasets.load_dataset("json")` on the same train.jsonl, `SFTConfig` and `LoraConfig` with the
    same values, `SFTTrainer(...).train()`. Figures: `trainer.state.num_input_tokens_seen` over
    `train_runtime`, and the wall time from loading the tokenizer to the end of `train()`.
(a) and (b) alternate, `--repeats` times (3), (a) first; the first run of the process is cold
(first imports, first dataset tokenisation: later runs read the datasets cache), so each run is
printed as well as the median. Both must see the same number of tokens and steps, and train with
the same resolved SFTConfig and LoraConfig ((a)'s run config.json against (b)'s `trainer.args` and
peft config, output_dir aside; flywheel's own defaults that have no effect under max_steps and
save_strategy "no" are listed apart): checked and printed.
And end to end as a user runs it, `--repeats` times: `.venv/bin/flywheel --quiet train sft ...`
in a child process (`bench.common.measure_command`), interpreter start-up and imports included.

Target (issue text): (a)'s tokens/s at least 0.95 of (b)'s (median over median). The verdict is
printed as a statement; nothing here asserts on a time.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch is imported (it is imported inside main)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # "Loading weights" bars, here and in the CLI's child
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("PYTHONWARNINGS", "ignore::FutureWarning")  # transformers 5's gradient_checkpointing rename

import argparse
import contextlib
import hashlib
import json
import statistics
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

from bench.common import REPO, measure_command, runs_line, timed_functions  # noqa: E402 (after the sys.path line)

TARGET_RATIO = 0.95
RECORDS = REPO / "data/sample/records.jsonl"
MAX_LENGTH = 256
LEARNING_RATE = 2e-4
SEED = 0
LORA = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.05, "target_modules": "all-linear"}
STARTUP = "import annotate.cli, train.sft, datasets, peft; from trl import SFTConfig, SFTTrainer"  # what the CLI imports
INERT = ("num_train_epochs", "save_steps", "save_total_limit")  # flywheel's defaults, moot under max_steps / save "no"
RECIPE_PARTS = ("open_snapshot", "load_settings", "_load_base", "write_metrics", "code_version")


def trainer_settings(steps: int, batch_size: int) -> dict:
    """The TRL settings both (a) and (b) train with (output_dir aside)."""
    return {
        "max_steps": steps, "per_device_train_batch_size": batch_size, "max_length": MAX_LENGTH,
        "learning_rate": LEARNING_RATE, "logging_steps": 1, "save_strategy": "no", "seed": SEED, "data_seed": SEED,
        "assistant_only_loss": True, "bf16": False, "use_cpu": True, "gradient_checkpointing": False,
        "include_num_input_tokens_seen": "non_padding", "report_to": [], "disable_tqdm": True,
    }  # fmt: skip


def toml_value(value: object) -> str:
    """A value as the TOML text `--set SECTION.KEY=VALUE` reads (train.settings parses it with tomllib)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return repr(value)


def overrides(steps: int, batch_size: int) -> list[str]:
    """`--set` overrides for (a): every trainer setting and the LoRA settings, spelled out."""
    trainer = trainer_settings(steps, batch_size)
    trainer.pop("seed")  # RunRequest.seed sets seed and data_seed (flywheel's --seed)
    trainer.pop("data_seed")
    return [f"trainer.{key}={toml_value(value)}" for key, value in trainer.items()] + [
        "adapter.method=\"lora\"", *(f"adapter.{key}={toml_value(value)}" for key, value in LORA.items())
    ]  # fmt: skip


def write_snapshot(folder: Path, n_rows: int) -> Path:
    """An SFT snapshot folder (train.jsonl and manifest.json) of `n_rows` conversations from the sample records."""
    records = [json.loads(line) for line in RECORDS.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = [record for record in records if record.get("response") and record.get("messages")]
    lines = []
    for index in range(n_rows):
        record = records[index % len(records)]
        messages = [{"role": m["role"], "content": m["content"]} for m in record["messages"]]
        while messages and messages[-1]["role"] != "user":
            messages.pop()
        row = {"id": f"{record['id']}-{index}", "messages": [*messages, {"role": "assistant", "content": record["response"]}]}
        lines.append(json.dumps(row, ensure_ascii=False))
    folder.mkdir(parents=True, exist_ok=True)
    train = folder / "train.jsonl"
    train.write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest = {
        "kind": "sft", "name": "bench-sft", "version": 1, "counts": {"train": n_rows},
        "files": {"train.jsonl": hashlib.sha256(train.read_bytes()).hexdigest()},
    }  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


@contextlib.contextmanager
def to_log(path: Path) -> Iterator[None]:
    """The trainers' per-step log lines (stdout) into `path`, appended."""
    with open(path, "a", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        yield


def run_flywheel(snapshot: Path, model_dir: Path, runs_dir: Path, run_id: str, args, log: Path) -> dict:
    """(a): sft.main in-process. Tokens, train seconds, wall seconds and the timed recipe parts."""
    from annotate.contracts.training import RunRequest
    from train import recipe, sft

    request = RunRequest(data=snapshot, base=str(model_dir), overrides=overrides(args.steps, args.batch_size),
                         runs_dir=runs_dir, run_id=run_id, seed=SEED)  # fmt: skip
    parts: dict[str, float] = defaultdict(float)
    started = time.perf_counter()
    with to_log(log), timed_functions(recipe, RECIPE_PARTS, parts):
        folder = sft.main(request)
    wall = time.perf_counter() - started
    run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    resolved = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    return {"tokens": run["tokens_seen"], "train_seconds": run["train_seconds"], "steps": run["steps"], "wall": wall,
            "parts": dict(parts), "notes": run["notes"], "trainer": resolved["trainer"],
            "peft": resolved["adapter"]["peft_config"]}  # fmt: skip


def run_bare(snapshot: Path, model_dir: Path, out_dir: Path, args, log: Path) -> dict:
    """(b): a bare TRL SFT script in-process, the same settings."""
    from datasets import load_dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    started = time.perf_counter()
    with to_log(log):
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = AutoModelForCausalLM.from_pretrained(model_dir)
        data = load_dataset("json", data_files={"train": str(snapshot / "train.jsonl")})["train"]
        config = SFTConfig(output_dir=str(out_dir), **trainer_settings(args.steps, args.batch_size))
        trainer = SFTTrainer(model=model, args=config, train_dataset=data, processing_class=tokenizer,
                             peft_config=LoraConfig(task_type="CAUSAL_LM", **LORA))  # fmt: skip
        result = trainer.train()
    wall = time.perf_counter() - started
    resolved = json.loads(json.dumps({"trainer": trainer.args.to_dict(), "peft": trainer.model.peft_config["default"].to_dict()},
                                     default=str))  # as train.recipe writes config.json
    return {"tokens": int(trainer.state.num_input_tokens_seen), "train_seconds": result.metrics["train_runtime"],
            "steps": trainer.state.global_step, "wall": wall, **resolved}  # fmt: skip


def cli_command(snapshot: Path, model_dir: Path, runs_dir: Path, run_id: str, args) -> list[str]:
    flywheel = str(Path(sys.executable).with_name("flywheel"))
    command = [flywheel, "--quiet", "train", "sft", "--data", str(snapshot), "--base", str(model_dir),
               "--runs-dir", str(runs_dir), "--run-id", run_id, "--seed", str(SEED)]  # fmt: skip
    for item in overrides(args.steps, args.batch_size):
        command += ["--set", item]
    return command


def differences(a: dict, b: dict, ignore: tuple[str, ...] = ()) -> list[str]:
    """`key: a-value / b-value` for each key whose values differ."""
    return [f"{key}: {a.get(key)!r} / {b.get(key)!r}" for key in sorted(set(a) | set(b))
            if key not in ignore and a.get(key) != b.get(key)]  # fmt: skip


def rate(run: dict) -> float:
    return run["tokens"] / run["train_seconds"] if run["train_seconds"] else float("nan")


def rates_line(runs: list[dict]) -> str:
    shown = " / ".join(f"{rate(run):,.0f}" for run in runs)
    first = " (first cold)" if len(runs) > 1 else ""
    return f"median {statistics.median(rate(run) for run in runs):10,.0f} tokens/s   runs {shown}{first}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30, help="max_steps of each training run")
    parser.add_argument("--rows", type=int, default=400, help="conversations in the snapshot")
    parser.add_argument("--repeats", type=int, default=3, help="runs of (a) and of (b), alternating")
    parser.add_argument("--batch-size", type=int, default=8, help="per_device_train_batch_size")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)
    if min(args.steps, args.rows, args.repeats, args.batch_size) < 1:
        parser.error("--steps, --rows, --repeats and --batch-size must be at least 1")

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="flywheel-bench-train-") as name:
        folder = Path(name)
        os.environ["HF_DATASETS_CACHE"] = str(folder / "hf-datasets")  # before datasets is first imported
        started = time.perf_counter()
        import torch

        torch.set_num_threads(1)
        import datasets
        import peft
        import transformers
        import trl

        transformers.logging.set_verbosity_error()
        datasets.logging.set_verbosity_error()
        datasets.disable_progress_bars()
        from train.tiny_model import build_tiny_model

        imports = time.perf_counter() - started
        started = time.perf_counter()
        model_dir = build_tiny_model(folder / "tiny-model")
        model_seconds = time.perf_counter() - started
        n_params = transformers.AutoModelForCausalLM.from_pretrained(model_dir).num_parameters()
        started = time.perf_counter()
        snapshot = write_snapshot(folder / "exports/bench-sft/v1", args.rows)
        snapshot_seconds = time.perf_counter() - started
        log = folder / "trainer.log"

        flywheel_runs, bare_runs = [], []
        try:
            for index in range(args.repeats):
                flywheel_runs.append(run_flywheel(snapshot, model_dir, folder / "runs", f"bench-{index}", args, log))
                bare_runs.append(run_bare(snapshot, model_dir, folder / f"bare-{index}", args, log))
        except Exception:
            tail = log.read_text(encoding="utf-8").splitlines(True)[-20:] if log.exists() else []
            sys.stderr.write("a training run failed; the last lines of its log:\n" + "".join(tail))
            raise
        cli_times = []
        for index in range(args.repeats):  # distinct run ids: a finished run's id is refused
            command = cli_command(snapshot, model_dir, folder / "runs", f"cli-{index}", args)
            cli_times += measure_command(command, 1)
        cli_runs = [json.loads((folder / "runs" / f"cli-{index}" / "run.json").read_text()) for index in range(args.repeats)]
        startup_times = measure_command([sys.executable, "-c", STARTUP], args.repeats)
    load_after = os.getloadavg()

    flywheel_rate = statistics.median(rate(run) for run in flywheel_runs)
    bare_rate = statistics.median(rate(run) for run in bare_runs)
    ratio = flywheel_rate / bare_rate
    tokens = {run["tokens"] for run in flywheel_runs + bare_runs} | {run["tokens_seen"] for run in cli_runs}
    steps = {run["steps"] for run in flywheel_runs + bare_runs + cli_runs}

    print(f"model                tiny Llama from build_tiny_model: {n_params:,} parameters; built in {model_seconds:.1f} s "
          f"(imports {imports:.1f} s before it)")  # fmt: skip
    print(f"snapshot             {args.rows:,} conversations from {RECORDS.relative_to(REPO)} in train.jsonl + manifest.json; "
          f"written in {snapshot_seconds * 1000:.0f} ms")  # fmt: skip
    print(f"settings             {args.steps} steps x batch {args.batch_size}, max_length {MAX_LENGTH}, lr {LEARNING_RATE:g}, "
          f"LoRA r={LORA['r']} alpha={LORA['lora_alpha']} {LORA['target_modules']}, assistant_only_loss, fp32 CPU, "
          f"{torch.get_num_threads()} torch thread(s)")  # fmt: skip
    for index, (a, b) in enumerate(zip(flywheel_runs, bare_runs), start=1):
        for label, run in (("(a) flywheel", a), ("(b) bare TRL", b)):
            print(f"run {index} {label}     {run['tokens']:,} tokens in {run['train_seconds']:.3f} s train = "
                  f"{rate(run):,.0f} tokens/s; wall {run['wall']:.2f} s with model load; {run['steps']} steps")  # fmt: skip
    print(f"(a) flywheel         {rates_line(flywheel_runs)}   sft.main: run.json tokens_seen / train_seconds")
    print(f"(b) bare TRL         {rates_line(bare_runs)}   SFTTrainer: num_input_tokens_seen / train_runtime")
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    print(f"ratio (a)/(b)        {ratio:.3f} (median over median) {verdict} the target of at least {TARGET_RATIO}")
    same = len(tokens) == 1 and len(steps) == 1
    print(f"tokens seen          {'same' if same else 'DIFFERENT'}: {', '.join(f'{t:,}' for t in sorted(tokens))} tokens, "
          f"{', '.join(map(str, sorted(steps)))} steps in every run ((a), (b) and the CLI)")  # fmt: skip
    trainer_diff = differences(flywheel_runs[0]["trainer"], bare_runs[0]["trainer"], ignore=("output_dir", "logging_dir", *INERT))
    inert_diff = [item for item in differences(flywheel_runs[0]["trainer"], bare_runs[0]["trainer"]) if item.split(":")[0] in INERT]
    peft_diff = differences(flywheel_runs[0]["peft"] or {}, bare_runs[0]["peft"])
    print(f"settings (a) vs (b)  SFTConfig {'same' if not trainer_diff else 'DIFFERENT: ' + '; '.join(trainer_diff)} "
          f"(output_dir aside; without effect here: {'; '.join(inert_diff) or 'none'}); "
          f"LoraConfig {'same' if not peft_diff else 'DIFFERENT: ' + '; '.join(peft_diff)}")  # fmt: skip
    print(f"wall (a) sft.main    {runs_line([run['wall'] for run in flywheel_runs])}   snapshot check to run.json, in-process")
    print(f"wall (b) bare TRL    {runs_line([run['wall'] for run in bare_runs])}   from_pretrained to the end of train()")
    print(f"wall (a) CLI         {runs_line(cli_times)}   flywheel --quiet train sft ... (child process)")
    print(f"    start-up         {runs_line(startup_times)}   python -c '{STARTUP}' (in the CLI's time)")
    outside = {name: statistics.median(run["parts"].get(name, 0.0) for run in flywheel_runs) for name in RECIPE_PARTS}
    walls_a = statistics.median(run["wall"] for run in flywheel_runs)
    train_a = statistics.median(run["train_seconds"] for run in flywheel_runs)
    print(f"(a) wall by part     median of {args.repeats}: train() {train_a:.3f} s of {walls_a:.3f} s; outside the trainer:")
    for name, seconds in outside.items():
        print(f"  recipe.{name:<20} {seconds:8.3f} s  {seconds / walls_a:6.1%}")
    print(f"(a) notes            {'; '.join(flywheel_runs[0]['notes'])}")
    print(f"versions             torch {torch.__version__}, transformers {transformers.__version__}, trl {trl.__version__}, "
          f"peft {peft.__version__}, datasets {datasets.__version__}; Python {sys.version.split()[0]}")  # fmt: skip
    print(f"cpu                  {os.cpu_count()} cores, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")


if __name__ == "__main__":
    main()
