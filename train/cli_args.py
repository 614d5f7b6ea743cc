"""`python -m train.sft|dpo` options (for `accelerate launch`), the same as `flywheel train sft|dpo`'s."""

from __future__ import annotations

import argparse
from pathlib import Path

from train.recipe import RunRequest


def request_from_argv(kind: str, argv: list[str] | None = None) -> RunRequest:
    parser = argparse.ArgumentParser(prog=f"python -m train.{kind}", description=f"Train a {kind.upper()} run.")
    parser.add_argument("--data", type=Path, required=True, help="snapshot folder, exports/NAME/vN")
    parser.add_argument("--base", required=True, help="base model: a local folder or a hub id")
    parser.add_argument("--config", type=Path, help="TOML or YAML settings ([trainer], [adapter])")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"))
    parser.add_argument("--run-id")
    parser.add_argument("--resume", type=Path, help="a run folder to continue from its last checkpoint")
    if kind == "dpo":
        parser.add_argument("--init-adapter", type=Path, help="an SFT run merged into the base first")
    parser.add_argument("--merge", action="store_true", help="also save the adapter merged into the base")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    return RunRequest(data=args.data, base=args.base, config=args.config, overrides=args.overrides, runs_dir=args.runs_dir,
                      run_id=args.run_id, resume=args.resume, init_adapter=getattr(args, "init_adapter", None),
                      merge=args.merge, seed=args.seed)  # fmt: skip
