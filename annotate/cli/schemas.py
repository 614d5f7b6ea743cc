"""`flywheel schemas write|check`: the JSON Schemas generated from the record models."""

from __future__ import annotations

from pathlib import Path

import typer

from annotate.cli.context import console, err_console
from annotate.cli.schema_files import default_schemas_dir, stale_schemas, write_schemas

schemas_app = typer.Typer(help="JSON Schemas and Label Studio labeling configs generated from the models.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(schemas_app, name="schemas")


@schemas_app.command("write")
def write(out: Path = typer.Option(None, "--out", help="Folder (default: the repository's schemas/).")) -> None:
    """Regenerate the schema files from the models."""
    for path in write_schemas(out or default_schemas_dir()):
        console.print(f"wrote {path}")


@schemas_app.command("check")
def check(folder: Path = typer.Option(None, "--dir", help="Folder (default: the repository's schemas/).")) -> None:
    """Exit 1 when a schema file is missing or out of date."""
    stale = stale_schemas(folder or default_schemas_dir())
    if stale:
        err_console.print(f"out of date: {', '.join(stale)}; run `flywheel schemas write`")
        raise typer.Exit(1)
    console.print("schemas are current")
