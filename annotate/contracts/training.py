"""What a training command hands the trainer (`RunRequest`), with its options defined once.

`flywheel train sft|dpo` (`annotate.cli.train`, typer) and `python -m train.sft|dpo`
(`train.cli_args`, argparse: what `accelerate launch` runs) both make their options from
`RUN_OPTIONS`: the same flags, defaults and help, and the same request. `annotate` never
imports `train` at module level; both import this.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any


@dataclass
class RunRequest:
    """What `flywheel train sft|dpo` was asked (see `flywheel train sft --help`)."""

    data: Path
    base: str
    config: Path | None = None
    overrides: list[str] = field(default_factory=list)
    runs_dir: Path = Path("runs")
    run_id: str | None = None
    resume: Path | None = None  # a run folder to continue from its last checkpoint
    init_adapter: Path | None = None  # DPO: an SFT run (or adapter folder) merged into the base first
    merge: bool = False
    seed: int = 0


@dataclass(frozen=True)
class RunOption:
    """One option of the training commands: the `RunRequest` field it fills, its flag and help."""

    name: str
    flag: str
    help: str
    kinds: tuple[str, ...] = ("sft", "dpo")

    @property
    def required(self) -> bool:
        return _field(self.name).default is MISSING and _field(self.name).default_factory is MISSING

    @property
    def default(self) -> Any:
        """The field's default (a fresh one for a list); `...` when the option is required."""
        spec = _field(self.name)
        if spec.default_factory is not MISSING:
            return spec.default_factory()
        return ... if spec.default is MISSING else spec.default


RUN_OPTIONS: dict[str, RunOption] = {option.name: option for option in (  # in the order --help lists them
    RunOption("data", "--data", "Snapshot folder: exports/NAME/vN (checked against its manifest)."),
    RunOption("base", "--base", "Base model: a local folder, or a hub id where a hub is reachable."),
    RunOption("config", "--config", "Settings file (TOML or YAML): [trainer] for TRL, [adapter] for peft."),
    RunOption("overrides", "--set", "Override, repeatable: SECTION.KEY=VALUE, e.g. trainer.max_steps=3."),
    RunOption("runs_dir", "--runs-dir", "Where run folders go."),
    RunOption("run_id", "--run-id", "Name of the run folder (default: KIND-NAME-vN-TIME)."),
    RunOption("resume", "--resume", "A run folder: continue it from its last checkpoint."),
    RunOption("merge", "--merge", "Also save the adapter merged into the base (runs/RUN/merged)."),
    RunOption("seed", "--seed", "Seed for weights init, data order and dropout."),
    RunOption("init_adapter", "--init-adapter", "An SFT run folder: its adapter is merged into the base, which is then "
              "also DPO's reference.", kinds=("dpo",)),  # fmt: skip
)}


def run_options(kind: str) -> list[RunOption]:
    """The options of `flywheel train KIND` / `python -m train.KIND`, in order."""
    return [option for option in RUN_OPTIONS.values() if kind in option.kinds]


def _field(name: str):
    return next(spec for spec in fields(RunRequest) if spec.name == name)
