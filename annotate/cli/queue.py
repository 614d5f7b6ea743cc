"""`flywheel select` (choose tasks) and `flywheel queue` (where the slots stand)."""

from __future__ import annotations

import typer
from rich.table import Table

from annotate.cli.context import console
from annotate.config import ProjectConfig
from annotate.errors import SelectionError
from annotate.reports.overview import queue_counts
from annotate.tasks.learned_weights import LearnedWeights, learn_weights
from annotate.tasks.selection import SelectionReport, select_tasks, spot_check_count

WEIGHTS = ("configured", "learned")


def register(app: typer.Typer) -> None:
    app.command("select")(select)
    app.command("queue")(queue)


def select(
    ctx: typer.Context,
    budget: int = typer.Option(..., "--budget", min=1, help="How many tasks to create (gold items included)."),
    kind: str = typer.Option("correction", "--kind", help="correction or preference."),
    route: str = typer.Option("app", "--route", help="app (the review app) or labelstudio."),
    seed: int = typer.Option(0, "--seed", help="Seed for clustering, overlap, display order and spot checks."),
    weights: str = typer.Option("configured", "--weights", help="configured (flagging.weights in flywheel.toml) or learned (fitted to the "
                                "experts' verdicts so far, printed beside the configured)."),
    spot_check: str = typer.Option("0", "--spot-check", metavar="N", help="Tasks of the batch drawn at random from unflagged "
                                   "records (a count, or a share of the budget such as 10%), to measure what flagging misses."),
) -> None:  # fmt: skip
    """Choose the most informative, diverse flagged records and make them expert tasks."""
    if weights not in WEIGHTS:
        raise SelectionError(f"unknown --weights {weights!r}; choose {' or '.join(WEIGHTS)}")
    project = ctx.obj.project()
    with project.open_store() as store:
        learned = learn_weights(store, project.config, seed) if weights == "learned" else None
        if learned:
            _print_weights(learned, project.config)
        report = select_tasks(store, project.config, budget=budget, kind=kind, route=route, seed=seed, learned=learned,
                              spot_check=spot_check_count(spot_check, budget))  # fmt: skip
    _print_report(report)


def _print_weights(learned: LearnedWeights, config: ProjectConfig) -> None:
    configured = config.flagging.weights.model_dump()
    table = Table("flag reason", "configured weight", "learned weight [95% CI]", "judged with it", "confirmed",
                  title=f"Learned weights (log-odds per unit of flag score) from {learned.judged:,} judged records, "
                        f"{learned.confirmed:,} confirmed; intercept {learned.intercept:.2f}", title_justify="left")  # fmt: skip
    for reason, weight in learned.weights.items():
        interval = learned.intervals[reason]
        judged, confirmed = learned.evidence[reason]
        shown = f"{weight:.2f}" + (f" [{interval[0]:.2f}, {interval[1]:.2f}]" if interval else "") if judged else "0 (no verdicts)"
        table.add_row(reason, f"{configured[reason]:g}", shown, f"{judged:,}", f"{confirmed / judged:.0%}" if judged else "")
    console.print(table)
    console.print("Priority is the learned model's probability that the experts confirm a problem.")


def _print_report(report: SelectionReport) -> None:
    made = len(report.task_ids)
    console.print(
        f"Created [bold]{made}[/] {report.kind} tasks (route {report.route}) from {report.candidates:,} candidates: "
        f"{len(report.selected)} selected, {report.gold} gold, {report.with_overlap} with overlap for agreement."
    )
    if report.spot_checks_asked:
        console.print(f"Spot checks: {report.spot_checks} of {report.spot_checks_asked} asked for, drawn at random from "
                      f"{report.spot_check_pool:,} unflagged records without a task (shown to experts like any other "
                      "task; `flywheel round report` gives their failure rate).")  # fmt: skip
    if not report.selected:
        if report.spot_checks_asked:
            return
        console.print("Nothing to select: run `flywheel flag` first, or every flagged record already has a task.")
        return
    reasons = Table("reason", "selected tasks with it", title="By reason", title_justify="left")
    for reason, count in report.by_reason().most_common():
        reasons.add_row(reason, str(count))
    console.print(reasons)
    clusters = Table("cluster", "selected", "best priority", "example prompt", title="By prompt cluster", title_justify="left")
    for cluster, count in report.by_cluster().most_common(15):
        members = [c for c in report.selected if c.cluster == cluster]
        best = max(members, key=lambda c: c.priority)
        clusters.add_row(str(cluster), str(count), f"{best.priority:.2f}", best.prompt[:70])
    console.print(clusters)
    console.print(
        f"Diversity: the batch covers {report.clusters_covered} of {report.clusters} prompt clusters; "
        f"the top {len(report.selected)} by priority alone would cover {report.top_n_clusters_covered}."
    )


def queue(ctx: typer.Context) -> None:
    """Slots by kind and route: open, claimed, overdue (lease expired), done."""
    with ctx.obj.project().open_store() as store:
        rows = queue_counts(store)
    table = Table("kind", "route", "tasks", "open", "claimed", "overdue", "done", "gold tasks", title="Queue", title_justify="left")
    for row in rows:
        table.add_row(row["kind"], row["route"], *(f"{row[key] or 0:,}" for key in
                      ("tasks", "open_slots", "claimed_slots", "overdue_slots", "done_slots", "gold_tasks")))  # fmt: skip
    console.print(table if rows else "No tasks yet: `flywheel flag`, then `flywheel select --budget N`.")
