"""`flywheel score`: confidence signals of a local causal LM for every record it has not scored yet."""

from __future__ import annotations

import os
import time

import typer

from annotate.cli.context import console
from annotate.cli.progress import progress_bar
from annotate.flagging.scoring import score_records, scorer_name


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
    with project.open_store() as store, progress_bar(ctx.obj.quiet, "scoring") as progress:
        scored = score_records(store, model, batch_size=batch_size, threads=threads, limit=limit, progress=progress)
    seconds = time.monotonic() - started
    summary = f"Scored {scored:,} records with {scorer_name(model)} in {seconds:.1f} s."
    console.print(summary, highlight=False, soft_wrap=True)
