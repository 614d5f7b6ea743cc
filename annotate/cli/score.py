"""`flywheel score`: confidence signals of a local causal LM for every record it has not scored yet."""

from __future__ import annotations

import os
import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from annotate.cli.context import console, err_console
from annotate.scoring import score_records, scorer_name


def register(app: typer.Typer) -> None:
    app.command("score")(score)


def score(
    ctx: typer.Context,
    model: str = typer.Option(..., "--model", help="Model folder, or a hub id in the local Hugging Face cache."),
    batch_size: int = typer.Option(8, "--batch-size", min=1, help="Records per forward pass and per commit."),
    threads: int = typer.Option(1, "--threads", min=1, help="CPU threads for torch."),
    limit: int = typer.Option(None, "--limit", min=1, help="Score at most this many records (default: all)."),
) -> None:
    """Score responses with a local causal LM: mean and min token logprob, mean entropy, token count.

    Only the response tokens are scored, after the conversation in the model's chat template.
    Resumable: records this model already scored are skipped, and every batch commits.
    Needs the training extra: pip install -e '.\\[train]'.
    """
    if ctx.obj.quiet:
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # transformers' own bars (loading weights)
    project = ctx.obj.project()
    started = time.monotonic()
    with project.open_store() as store, _progress(ctx.obj.quiet) as progress:
        scored = score_records(store, model, batch_size=batch_size, threads=threads, limit=limit, progress=progress)
    seconds = time.monotonic() - started
    summary = f"Scored {scored:,} records with {scorer_name(model)} in {seconds:.1f} s."
    console.print(summary, highlight=False, soft_wrap=True)


class _progress:
    """A rich progress bar on stderr fed by the scorer's (done, total) callback; silent when quiet."""

    def __init__(self, quiet: bool):
        self.bar = None if quiet else Progress(
            TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=err_console, transient=True,
        )  # fmt: skip
        self.task: int | None = None

    def __enter__(self):
        if self.bar is None:
            return None
        self.bar.start()
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.task is None:
            self.task = self.bar.add_task("scoring", total=total)
        self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.stop()
