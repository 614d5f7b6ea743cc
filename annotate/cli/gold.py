"""`flywheel gold import`: known-answer items that selection mixes into experts' queues."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from annotate.cli.context import console, err_console, print_error
from annotate.errors import IngestError
from annotate.tasks.gold import import_gold

gold_app = typer.Typer(help="Gold items: records with a known answer, to score annotators.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(gold_app, name="gold")


@gold_app.command("import")
def import_command(ctx: typer.Context, path: Path = typer.Argument(..., help="JSONL: source+id (or record_id) and answer.")) -> None:
    """Import gold items; bad lines are listed and the rest kept (exit 3 if any were bad, 2 if none
    could be imported or the file could not be read)."""
    project = ctx.obj.project()
    with project.open_store() as store:
        try:
            result = import_gold(store, path, project.config.taxonomy)
        except IngestError as exc:
            print_error(exc)
            raise typer.Exit(2) from exc
    console.print(f"{result.read} gold items read: {result.imported} new or changed, {result.unchanged} unchanged, {len(result.rejects)} rejected.")
    for reject in result.rejects[:10]:
        field = f" {reject.field}:" if reject.field else ""
        err_console.print(escape(f"  {reject.file}:{reject.line}:{field} {reject.reason}"), highlight=False, soft_wrap=True)
    if result.rejects:
        raise typer.Exit(3 if result.read > len(result.rejects) else 2)
