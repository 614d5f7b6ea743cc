"""`python -m train.sft|dpo` options (for `accelerate launch`): `flywheel train sft|dpo`'s, made from
the same definitions (`annotate.contracts.training.RUN_OPTIONS`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import get_type_hints

from annotate.contracts.training import RunRequest, run_options


def request_from_argv(kind: str, argv: list[str] | None = None) -> RunRequest:
    parser = argparse.ArgumentParser(prog=f"python -m train.{kind}", description=f"Train a {kind.upper()} run.")
    types = get_type_hints(RunRequest)
    for option in run_options(kind):
        wanted, named = types[option.name], {"dest": option.name, "help": option.help}
        if wanted is bool:
            parser.add_argument(option.flag, action="store_true", **named)
        elif wanted == list[str]:
            parser.add_argument(option.flag, action="append", default=option.default, **named)
        else:  # Path, str or int, or one of them or None
            parse = next(t for t in (Path, int, str) if t == wanted or t in getattr(wanted, "__args__", ()))
            parser.add_argument(option.flag, type=parse, required=option.required,
                                **named, **({} if option.required else {"default": option.default}))  # fmt: skip
    return RunRequest(**vars(parser.parse_args(argv)))
