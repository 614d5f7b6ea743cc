"""`flywheel annotations import FILE`: answers made outside the review app (a vendor's spreadsheet
or JSONL, simulated experts), validated and idempotent, with ingest's exit codes."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from annotate.cli.context import console, print_error
from annotate.cli.ingest import print_first_rejects
from annotate.errors import IngestError

EXIT_CODES_HELP = "Exit codes: 0 every line imported or already present; 3 some lines rejected; 2 nothing importable or the file unreadable."

annotations_app = typer.Typer(help="Annotations made elsewhere: import a vendor's or simulated experts' answers.",
                              no_args_is_help=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(annotations_app, name="annotations")


@annotations_app.command("import", epilog=EXIT_CODES_HELP)
def import_file(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="JSONL (one {task, annotator, answer} a line) or CSV (answer fields as columns)."),
    fmt: str = typer.Option("auto", "--format", help="auto, jsonl or csv."),
    add_annotators: bool = typer.Option(False, "--add-annotators", help="Register unknown emails as annotators (no password)."),
    rejects: Path = typer.Option(None, "--rejects", help="Write rejected lines here (default: rejects/ in the project)."),
) -> None:
    """Import answers, one a line naming the task (its id, or its record), the annotator's email and
    the answer in the CorrectionAnswer / PreferenceAnswer schema. Bad lines are rejected with line,
    field and reason; the good ones land together; importing again adds nothing."""
    from annotate.review.imports import import_annotations

    project = ctx.obj.project()
    with project.open_store() as store:
        try:
            summary = import_annotations(store, path, fmt=fmt, add_annotators=add_annotators, rejects_dir=project.rejects_dir,
                                         rejects_path=rejects)  # fmt: skip
        except IngestError as exc:  # the file cannot be read (as a whole): ingest's exit code for it
            print_error(exc)
            raise typer.Exit(2) from exc
    table = Table("file", "read", "imported", "updated (superseded)", "already present", "rejected",
                  title="Annotation import", title_justify="left")  # fmt: skip
    rejected = f"[red]{summary.rejected:,}[/]" if summary.rejected else "0"
    table.add_row(escape(summary.path), f"{summary.read:,}", f"{summary.imported:,}", f"{summary.updated:,}", f"{summary.present:,}", rejected)
    console.print(table)
    if summary.annotators_added:
        console.print(f"Added {len(summary.annotators_added)} annotator(s): {escape(', '.join(summary.annotators_added))}")
    if summary.rejects_path:
        print_first_rejects(Path(summary.rejects_path))
    raise typer.Exit(summary.exit_code)
