"""Commands for the project itself: `init`, `db status`, `round start|list|report`."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from annotate.cli.context import CliContext, console
from annotate.project import database_status, init_project, list_rounds, start_round

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
    console.print(f"Created project in [bold]{escape(str(project.root))}[/]")
    console.print(escape(f"  config     {project.config_path}"))
    console.print(escape(f"  database   {project.db_path}"))
    console.print("Next: [bold]flywheel ingest LOGS.jsonl[/] from inside the folder (or with --project).")


@db_app.command("status")
def db_status(ctx: typer.Context) -> None:
    """Show the database path, schema version and row counts."""
    project = ctx.obj.project()
    with project.open_store() as store:
        status = database_status(store)
    applied, latest, counts, open_round = status.migrations, status.latest_migration, status.table_counts, status.open_round
    console.print(escape(f"database        {project.db_path}"))
    console.print(f"schema version  {applied} (latest migration: {latest})")
    console.print(escape(f"open round      {open_round['name'] if open_round else '(none)'}"))
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
    console.print(f"Opened round [bold]{escape(opened['name'])}[/] (id {opened['id']}); new records belong to it.")


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


@round_app.command("report")
def round_report_command(ctx: typer.Context, name: str = typer.Argument(None, metavar="[ROUND]", help="Round name (default: the open round)."),
                         as_json: bool = typer.Option(False, "--json", help="The whole report as JSON.")) -> None:  # fmt: skip
    """What a round flagged, which flags the experts confirmed, how they agreed, what was exported,
    trained and gated, and how far its prompts drifted from the previous round."""
    import json

    from annotate.reports.round_report import round_report

    project = ctx.obj.project()
    with project.open_store() as store:
        report = round_report(store, project, name)
    if as_json:
        print(json.dumps(report, indent=2, default=str))
        return
    show_round_report(report)


def show_round_report(report: dict) -> None:
    chosen = report["round"]
    ended = _minute(chosen["ended_at"]) if chosen["ended_at"] else "open"
    console.print(f"[bold]Round {escape(chosen['name'])}[/] ({_minute(chosen['started_at'])} to {ended}): "
                  f"{report['records']:,} production records")  # fmt: skip
    flags = Table("flag reason", "records", "share of the round", title="Flagged", title_justify="left")
    for reason, row in report["flag_rate"].items():
        flags.add_row(reason if reason != "any" else "[bold]any reason[/]", f"{row['records']:,}", f"{row['rate']:.1%}" if row["rate"] is not None else "")
    console.print(flags)
    if report["failure_categories"]:
        total = sum(report["failure_categories"].values())
        mix = Table("failure category", "answers", "share", title="Failure categories (experts' answers)", title_justify="left")
        for category, count in report["failure_categories"].items():
            mix.add_row(category, str(count), f"{count / total:.0%}")
        console.print(mix)
    agreement = report["agreement"]
    fields = ", ".join(f"{field} {row['alpha']:.2f}" for field, row in agreement["fields"].items() if row["alpha"] is not None)
    console.print(f"Agreement over {agreement['tasks_with_overlap']} overlapping tasks: {fields or 'none yet'}")
    _show_flags_judged(report["flags_judged"])
    for item in report["exported"]:
        console.print(f"Exported {escape(item['name'])} v{item['version']} ({item['kind']}): {item['counts']['train']} train, {item['counts']['eval']} eval")
    for evaluation in report["evaluations"]:
        for adapter in evaluation["adapters"]:
            verdict = "[green]passed[/]" if adapter["passed"] else "[bold red]failed[/]"
            console.print(f"Trained {escape(adapter['name'])} ({adapter['kind']} {adapter['method']}, on {escape(adapter['snapshot'])}): "
                          f"gate {verdict} in report {escape(evaluation['report'])}")  # fmt: skip
    if not report["exported"]:
        console.print("Nothing exported during this round yet.")
    drift = report["drift"]
    if drift is None:
        console.print("Drift: no previous round to compare with." if report["previous_round"] is None else "Drift: no prompts to compare.")
        return
    table = Table("prompt cluster (top terms)", drift["against"], chosen["name"], title=f"Prompt drift: Jensen-Shannon distance "
                  f"{drift['jensen_shannon']:.3f} (0 the same mix, 1 nothing in common)", title_justify="left")  # fmt: skip
    for cluster in drift["clusters"]:
        table.add_row(escape(", ".join(cluster["terms"])), f"{cluster['previous']:.0%}", f"{cluster['this']:.0%}")
    console.print(table)


def _show_flags_judged(section: dict) -> None:
    """Flag precision per reason, the spot checks' failure rate, and the confidence calibration."""
    from annotate.reports.flag_precision import shown_rows

    if not section["judged_records"]:
        console.print("Flags judged by experts: no decided tasks in this round yet.")
        return
    _print_rows(shown_rows(section["precision"], "flag reason"), f"Flags judged by experts ({section['judged_records']:,} "
                "records; confirmed: corrected, unusable, or losing a comparison)")  # fmt: skip
    calibration = section["calibration"]
    for key, title in (("logprob_mean", "mean token logprob"), ("flag_score", "top flag score")):
        bins = calibration[key]["bins"]
        if bins:
            without = calibration[key]["without_signal"]
            _print_rows(shown_rows(bins, title, undecided=False), f"Calibration: {title} against the experts' verdicts"
                        + (f" ({without:,} judged records without one)" if without else ""))  # fmt: skip


def _print_rows(rows: list[dict], title: str) -> None:
    table = Table(*rows[0], title=title, title_justify="left")
    for row in rows:
        table.add_row(*(escape(f"{value:,}" if isinstance(value, int) else str(value)) for value in row.values()))
    console.print(table)
