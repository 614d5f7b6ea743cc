"""`flywheel train sft|dpo|list|tiny-model`: thin commands over `train/` (imported only when run).

The options of `train sft|dpo` are `annotate.contracts.training.RUN_OPTIONS`, which `python -m
train.sft|dpo` (what `accelerate launch` runs) takes too. `annotate` never imports `train` at
module level, so `flywheel --help` stays fast and works without the training extra.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from annotate.cli.context import console
from annotate.contracts.training import RUN_OPTIONS, RunRequest
from annotate.errors import TrainingError

train_app = typer.Typer(help="LoRA (or other peft, or full) SFT and DPO runs on exported snapshots, with lineage.",
                        no_args_is_help=True)  # fmt: skip


def _option(name: str):
    """The typer option of a `RunRequest` field (`RUN_OPTIONS`)."""
    option = RUN_OPTIONS[name]
    return typer.Option(option.default, option.flag, help=option.help)


_DATA, _BASE, _CONFIG, _SET = (_option(name) for name in ("data", "base", "config", "overrides"))
_RUNS, _RUN_ID, _RESUME, _MERGE, _SEED = (_option(name) for name in ("runs_dir", "run_id", "resume", "merge", "seed"))
_INIT_ADAPTER = _option("init_adapter")


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")


def _request(ctx: typer.Context, **values) -> RunRequest:
    """The run request, after checking the train extra is there; `--quiet` also hides progress bars."""
    from importlib.util import find_spec

    missing = [name for name in ("torch", "transformers", "peft", "trl", "datasets") if find_spec(name) is None]
    if missing:
        raise TrainingError(f"training needs the train extra ({', '.join(missing)} missing): pip install -e '.[train]'")
    if ctx.obj.quiet:
        import datasets
        from transformers.utils import logging as transformers_logging

        datasets.disable_progress_bars()
        transformers_logging.disable_progress_bar()
        if not any(item.startswith("trainer.disable_tqdm") for item in values["overrides"]):
            values["overrides"] = [*values["overrides"], "trainer.disable_tqdm=true"]
    return RunRequest(**values)


def _report(folder: Path) -> None:
    from train.runs import read_run

    run = read_run(folder)
    console.print(f"Run [bold]{escape(str(folder))}[/]: {run['steps']} steps, {run['tokens_seen']:,} tokens, "
                  f"final loss {run['final_loss']:.4f}, {run['wall_seconds']:.1f} s.")  # fmt: skip
    for note in run["notes"]:
        console.print(f"  {escape(note)}")


@train_app.command("sft")
def sft(ctx: typer.Context, data: Path = _DATA, base: str = _BASE, config: Path = _CONFIG, overrides: list[str] = _SET, runs_dir: Path = _RUNS,
        run_id: str = _RUN_ID, resume: Path = _RESUME, merge: bool = _MERGE, seed: int = _SEED) -> None:  # fmt: skip
    """Supervised fine-tuning (TRL SFTTrainer) on an SFT snapshot."""
    request = _request(ctx, data=data, base=base, config=config, overrides=overrides, runs_dir=runs_dir, run_id=run_id,
                       resume=resume, merge=merge, seed=seed)  # fmt: skip
    from train import sft as script

    _report(script.main(request))


@train_app.command("dpo")
def dpo(ctx: typer.Context, data: Path = _DATA, base: str = _BASE, config: Path = _CONFIG, overrides: list[str] = _SET, runs_dir: Path = _RUNS,
        run_id: str = _RUN_ID, resume: Path = _RESUME, merge: bool = _MERGE, seed: int = _SEED,
        init_adapter: Path = _INIT_ADAPTER) -> None:  # fmt: skip
    """Direct preference optimisation (TRL DPOTrainer) on a DPO snapshot."""
    request = _request(ctx, data=data, base=base, config=config, overrides=overrides, runs_dir=runs_dir, run_id=run_id,
                       resume=resume, merge=merge, seed=seed, init_adapter=init_adapter)  # fmt: skip
    from train import dpo as script

    _report(script.main(request))


@train_app.command("list")
def list_runs(runs_dir: Path = _RUNS, as_json: bool = typer.Option(False, "--json", help="Each run.json, as a list.")) -> None:
    """Finished runs, newest first, with what they trained on."""
    from train.runs import list_runs as finished

    runs = finished(runs_dir)
    if as_json:
        print(json.dumps(runs, indent=2))
        return
    if not runs:
        console.print(f"No finished runs in {escape(str(runs_dir))}.")
        return
    table = Table("run", "kind", "method", "snapshot", "base", "steps", "tokens", "final loss", "finished")
    for run in runs:
        snapshot = run["snapshot"]
        base = run["base_model"].get("path") or run["base_model"].get("hub_id")
        table.add_row(escape(run["run_id"]), run["kind"], run["method"], escape(f"{snapshot['name']} v{snapshot['version']}"),
                      escape(str(base)), str(run["steps"]), f"{run['tokens_seen']:,}", f"{run['final_loss']:.4f}",
                      run["finished_at"])  # fmt: skip
    console.print(table)


@train_app.command("tiny-model")
def tiny_model(out: Path = typer.Argument(..., help="Folder to write the model and tokenizer to."),
               hidden_size: int = typer.Option(64, "--hidden-size"), layers: int = typer.Option(2, "--layers"),
               seed: int = typer.Option(0, "--seed")) -> None:  # fmt: skip
    """A tiny Llama-style chat model (tokenizer trained on the sample data, ChatML template with
    generation markers), for tests and the demo: no weights are downloaded."""
    from train.tiny_model import build_tiny_model

    folder = build_tiny_model(out, hidden_size=hidden_size, layers=layers, seed=seed)
    console.print(f"Tiny model in [bold]{escape(str(folder))}[/] (load it with --base {escape(str(folder))}).")
