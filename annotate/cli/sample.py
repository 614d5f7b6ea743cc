"""`flywheel sample write`: the seeded sample production logs and rehearsal sets."""

from __future__ import annotations

from pathlib import Path

import typer

from annotate.cli.context import console

sample_app = typer.Typer(help="Seeded, deterministic sample data for demos, tests and benchmarks.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sample_app, name="sample")


@sample_app.command("write")
def write(
    out: Path = typer.Argument(..., help="Folder for records.jsonl and the rehearsal sets."),
    n: int = typer.Option(3000, "--n", min=1, help="Production records to generate."),
    seed: int = typer.Option(7, "--seed", help="Random seed: the same seed writes the same bytes."),
) -> None:
    """Write sample production logs (a customer-support assistant) and rehearsal sets."""
    from annotate.sample.write import write_sample

    for name, count in write_sample(out, n=n, seed=seed).items():
        console.print(f"{out / name}: {count:,} lines")


@sample_app.command("answers")
def answers(ctx: typer.Context, out: Path = typer.Argument(..., help="JSONL file to write (for `flywheel annotations import`)."),
            seed: int = typer.Option(7, "--seed", help="The sample data's seed.")) -> None:  # fmt: skip
    """Simulated experts' answers to this project's tasks on the sample records (the demo's
    data/sample/demo_answers.jsonl): most tasks answered, overlap filled, a little disagreement."""
    from annotate.sample.answers import demo_answers
    from annotate.sample.write import write_jsonl

    with ctx.obj.project().open_store() as store:
        count = write_jsonl(out, demo_answers(store, seed=seed))
    console.print(f"{out}: {count:,} answers")
