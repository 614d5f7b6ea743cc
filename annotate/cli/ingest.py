"""`flywheel ingest`: production logs into the store, with a summary and documented exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from annotate.cli.context import console, err_console, print_error
from annotate.cli.progress import progress_bar
from annotate.ingest import IngestSummary, ingest_files
from annotate.ingest.normalise import MAPPABLE_FIELDS, parse_mapping

EXIT_CODES_HELP = "Exit codes: 0 every line ingested or already present; 3 some lines rejected; 2 nothing ingested or an input unreadable."


def register(app: typer.Typer) -> None:
    app.command("ingest", epilog=EXIT_CODES_HELP)(ingest)


def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="JSONL, CSV or Parquet files, or trace exports (optionally .gz)."),
    source: str = typer.Option("production", "--source", help="Where these logs come from; part of each record's id."),
    fmt: str = typer.Option(
        "auto", "--format",
        help="auto (by the file name; a JSON file by its first object), jsonl, csv, parquet, or a trace export: "
        "otel, openinference, langfuse, langsmith (one record per model call; see data/sample/formats).",
    ),  # fmt: skip
    maps: list[str] = typer.Option(
        [], "--map", help=f"FIELD=COLUMN, repeatable. Fields: {', '.join(MAPPABLE_FIELDS)}, metadata.KEY."
    ),
    rejects: Path = typer.Option(None, "--rejects", help="Write rejected lines here (default: rejects/ in the project)."),
) -> None:
    """Ingest production interactions: validated, idempotent, streamed in committed batches."""
    try:
        mapping = parse_mapping(maps)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--map") from exc
    project = ctx.obj.project()
    with project.open_store() as store, progress_bar(ctx.obj.quiet, "ingest", in_bytes=True) as update:
        summary = ingest_files(
            store, paths, source=source, fmt=fmt, mapping=mapping, limits=project.config.ingest,
            rejects_path=rejects, rejects_dir=project.rejects_dir,
            progress=(lambda path, done, total: update(done, total, Path(path).name)) if update else None,
        )  # fmt: skip
    _print_summary(summary)
    raise typer.Exit(summary.exit_code)


def _print_summary(summary: IngestSummary) -> None:
    for line in summary.interrupted:
        err_console.print(f"[yellow]note:[/] {escape(line)}", highlight=False, soft_wrap=True)
    table = Table("file", "read", "ingested", "already present", "rejected", title="Ingest summary", title_justify="left")
    for file in summary.files:
        rejected = f"[red]{file.rejected:,}[/]" if file.rejected else "0"
        table.add_row(escape(file.path), f"{file.read:,}", f"{file.ingested:,}", f"{file.present:,}", rejected)
    if len(summary.files) > 1:
        totals = [f"{summary.total(name):,}" for name in ("read", "ingested", "present", "rejected")]
        table.add_row("[bold]total[/]", *totals)
    console.print(table)
    for file in summary.files:
        if file.error:
            print_error(file.error)
    shown = set()
    for file in summary.files:
        if file.rejects_path and file.rejects_path not in shown:
            shown.add(file.rejects_path)
            print_first_rejects(Path(file.rejects_path))


def print_first_rejects(path: Path, limit: int = 5) -> None:
    err_console.print(f"Rejected lines are in [bold]{escape(str(path))}[/]; the first of them:", highlight=False)
    with open(path, encoding="utf-8", newline="\n") as handle:  # a line ends at LF only, as JSONL's does
        for _, line in zip(range(limit), handle):
            reject = json.loads(line)
            field = f" {reject['field']}:" if reject["field"] else ""
            err_console.print(escape(f"  {reject['file']}:{reject['line']}:{field} {reject['reason']}"), highlight=False, soft_wrap=True)
