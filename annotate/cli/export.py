"""`flywheel export --kind sft|dpo|kto --name NAME` and `flywheel export list|show|diff`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from annotate.cli.context import console
from annotate.errors import FlywheelError

export_app = typer.Typer(help="Versioned SFT / DPO / KTO snapshots with lineage: export, list, show, diff.",
                         invoke_without_command=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")


@export_app.callback()
def export(
    ctx: typer.Context,
    kind: str = typer.Option(None, "--kind", help="sft, dpo or kto."),
    name: str = typer.Option(None, "--name", help="Dataset name: the snapshot goes to exports/NAME/vN/."),
    spec_path: Path = typer.Option(None, "--spec", help="Export spec (TOML); defaults otherwise."),
    seed: int = typer.Option(0, "--seed", help="Seed for the split, balance and rehearsal draws."),
    rehearsal: list[str] = typer.Option([], "--rehearsal", help="PATH:RATIO, repeatable: rehearsal examples at that share of train."),
) -> None:
    """Write the next version of a dataset from the resolved decisions, through every quality gate."""
    if ctx.invoked_subcommand is not None:
        return
    if not kind or not name:
        raise FlywheelError("give --kind (sft, dpo or kto) and --name; or a subcommand: list, show, diff")
    from annotate.export.build import Rehearsal, build_export
    from annotate.export.snapshot import write_snapshot
    from annotate.export.spec import load_spec

    spec = load_spec(spec_path)
    mixes = [Rehearsal.parse(item) for item in rehearsal]
    project = ctx.obj.project()
    with project.open_store() as store:
        plan = build_export(store, project, kind, spec, seed=seed, rehearsal=mixes, name=name)
        if not plan.train:
            _print_plan(plan)
            raise FlywheelError(f"nothing to export as {kind}: no resolved decision passed the selection and the gates "
                                "(see above); nothing was written")  # fmt: skip
        folder = write_snapshot(store, project, name, plan)
    _print_plan(plan)
    console.print(f"Wrote [bold]{escape(str(folder))}[/]: {len(plan.train):,} train, {len(plan.eval):,} eval rows.")


def _print_plan(plan) -> None:
    table = Table("gate", "on", "left out", "detail", title="Quality gates", title_justify="left")
    for report in plan.gates:
        detail = ", ".join(f"{key} {value}" for key, value in report.counts.items() if not isinstance(value, (dict, list)))
        table.add_row(report.name, "yes" if report.enabled else "no", str(len(report.dropped)), escape(detail[:80]))
    console.print(table)
    if any(plan.skipped.values()):
        console.print("Left out before the gates: " + ", ".join(f"{reason} {count:,}" for reason, count in plan.skipped.items() if count))
    waiting = next((report.counts.get("waiting_for_lead", 0) for report in plan.gates if report.name == "conflicts"), 0)
    if waiting:
        console.print(f"[yellow]{waiting:,} conflicts wait for a lead[/] in the adjudication queue (`flywheel adjudicate "
                      "conflicts`); their examples stay out until a lead settles them.")  # fmt: skip


@export_app.command("list")
def list_command(ctx: typer.Context, name: str = typer.Argument(None, help="Only this dataset.")) -> None:
    """Every snapshot: name, version, kind, rows, when (after finishing or removing what a killed
    export left)."""
    from annotate.export.snapshot import list_snapshots, recover_snapshots

    project = ctx.obj.project()
    with project.open_store() as store:
        for line in recover_snapshots(store, project, name, wait=False):
            console.print(f"[yellow]{escape(line)}[/]")
        rows = list_snapshots(store, name)
    if not rows:
        console.print("No exports yet: `flywheel export --kind sft --name NAME`.")
        return
    table = Table("name", "version", "kind", "train", "eval", "created", "path", title="Datasets", title_justify="left")
    for row in rows:
        table.add_row(escape(row.name), f"v{row.version}", row.kind, f"{row.counts['train']:,}", f"{row.counts['eval']:,}",
                      row.created_at[:19], escape(row.path))  # fmt: skip
    console.print(table)


@export_app.command("show")
def show_command(ctx: typer.Context, name: str = typer.Argument(...), version: str = typer.Argument(..., help="vN")) -> None:
    """A snapshot's manifest, without the per-row lineage."""
    from annotate.contracts.manifest import read_manifest

    manifest = read_manifest(ctx.obj.project().root / _path(ctx, name, version))
    print(json.dumps(manifest.as_written(rows=False), indent=2, ensure_ascii=False))


@export_app.command("diff")
def diff_command(ctx: typer.Context, name: str = typer.Argument(...), old: str = typer.Argument(..., help="vA"),
                 new: str = typer.Argument(..., help="vB")) -> None:  # fmt: skip
    """Rows added, removed and changed between two versions, and how the counts moved."""
    from annotate.export.diff import diff_snapshots

    project = ctx.obj.project()
    difference = diff_snapshots(project.root / _path(ctx, name, old), project.root / _path(ctx, name, new))
    console.print(f"{escape(name)} {escape(old)} -> {escape(new)}: {len(difference.added):,} added, {len(difference.removed):,} removed, "
                  f"{len(difference.changed):,} changed, {difference.unchanged:,} unchanged rows.")  # fmt: skip
    table = Table("count", old, new, "change", title="Counts", title_justify="left")
    for key, (before, after) in difference.counts.items():
        table.add_row(key, str(before), str(after), f"{after - before:+d}")
    console.print(table)
    for label, ids in (("added", difference.added), ("removed", difference.removed), ("changed", difference.changed)):
        if ids:
            console.print(escape(f"{label}: {', '.join(ids[:20])}{' ...' if len(ids) > 20 else ''}"))


def _path(ctx: typer.Context, name: str, version: str) -> str:
    from annotate.export.snapshot import registered_snapshot

    with ctx.obj.project().open_store() as store:
        return registered_snapshot(store, name, version).path
