"""Commands for the project itself: `init`, `db status`, `round start|list`."""

from __future__ import annotations

import typer
from rich.table import Table

from annotate.cli.context import CliContext, console
from annotate.project import init_project
from annotate.rounds import list_rounds, start_round

db_app = typer.Typer(help="Look after the database.", no_args_is_help=True)
round_app = typer.Typer(help="Rounds of the loop: everything ingested belongs to the open round.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(db_app, name="db")
    app.add_typer(round_app, name="round")


def init(
    ctx: typer.Context,
    directory: str = typer.Argument(".", help="Folder for the new project (created if needed)."),
    name: str = typer.Option(None, "--name", help="Project name (default: the folder's name)."),
) -> None:
    """Create a project: flywheel.toml with commented defaults, guidelines, database, first round."""
    options: CliContext = ctx.obj
    project = init_project(directory, db=options.db, name=name)
    console.print(f"Created project in [bold]{project.root}[/]")
    console.print(f"  config     {project.config_path}")
    console.print(f"  database   {project.db_path}")
    console.print("Next: [bold]flywheel ingest LOGS.jsonl[/] from inside the folder (or with --project).")


@db_app.command("status")
def db_status(ctx: typer.Context) -> None:
    """Show the database path, schema version and row counts."""
    project = ctx.obj.project()
    with project.open_store() as store:
        applied, latest = store.schema_version()
        counts = store.table_counts()
        open_round = store.open_round()
    console.print(f"database        {project.db_path}")
    console.print(f"schema version  {applied} (latest migration: {latest})")
    console.print(f"open round      {open_round['name'] if open_round else '(none)'}")
    table = Table("table", "rows", title="Row counts", title_justify="left")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    console.print(table)


@round_app.command("start")
def round_start(
    ctx: typer.Context,
    name: str = typer.Argument(None, help="Round name (default: round-N)."),
    model: str = typer.Option(None, "--model", help="Model version this round's logs come from."),
) -> None:
    """Close the open round and open a new one."""
    with ctx.obj.project().open_store() as store:
        opened = start_round(store, name, model)
    console.print(f"Opened round [bold]{opened['name']}[/] (id {opened['id']}); new records belong to it.")


@round_app.command("list")
def round_list(ctx: typer.Context) -> None:
    """List the rounds with their record counts."""
    with ctx.obj.project().open_store() as store:
        rounds = list_rounds(store)
    table = Table("id", "name", "model", "started (UTC)", "ended (UTC)", "records")
    for row in rounds:
        ended = _minute(row["ended_at"]) if row["ended_at"] else "[green]open[/]"
        table.add_row(str(row["id"]), row["name"], row["model"] or "", _minute(row["started_at"]), ended, f"{row['records']:,}")
    console.print(table)


def _minute(timestamp: str) -> str:
    """'2026-10-03T14:22:05+00:00' as '2026-10-03 14:22'."""
    return timestamp[:16].replace("T", " ")
