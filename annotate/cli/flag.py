"""`flywheel flag`: run the flaggers (or flag one record by hand)."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from annotate.cli.context import console
from annotate.cli.progress import progress_bar
from annotate.flagging import REASONS, flag_manually, run_flaggers
from annotate.reports.overview import flag_totals


def register(app: typer.Typer) -> None:
    app.command("flag")(flag)


def flag(
    ctx: typer.Context,
    only: list[str] = typer.Option([], "--only", help=f"Run only these flaggers (repeatable): {', '.join(REASONS[:-1])}."),
    recheck: bool = typer.Option(False, "--recheck", help="Re-check every record (after changing thresholds)."),
    manual: str = typer.Option(None, "--manual", metavar="RECORD_ID", help="Flag this record by hand instead."),
    note: str = typer.Option("", "--note", help="With --manual: what the expert should look at."),
) -> None:
    """Flag the records worth an expert's time; re-running only looks at new records."""
    project = ctx.obj.project()
    with project.open_store() as store:
        if manual:
            made = flag_manually(store, manual, note)
            console.print(escape(f"Flagged {made.record_id} by hand: {made.detail}"))
            return
        with progress_bar(ctx.obj.quiet, "flagging") as progress:
            summary = run_flaggers(store, project.config, project.root, only=only or None, recheck=recheck, progress=progress)
        stored = flag_totals(store)
    totals, pairs = stored.by_reason, stored.preference_candidates
    table = Table("reason", "flagged this run", "flagged in store", "mean score", title="Flags", title_justify="left")
    for reason in REASONS:
        total = totals.get(reason, {"records": 0, "mean_score": None})
        mean = f"{total['mean_score']:.2f}" if total["mean_score"] is not None else ""
        table.add_row(reason, f"{summary.flags.get(reason, 0):,}", f"{total['records']:,}", mean)
    console.print(table)
    console.print(
        f"{summary.records_checked:,} records checked in {summary.seconds:.1f} s; preference candidates in store: "
        + (", ".join(f"{origin} {count:,}" for origin, count in sorted(pairs.items())) or "none")
    )
