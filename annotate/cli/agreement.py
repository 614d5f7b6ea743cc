"""`flywheel agreement` (how much annotators agree) and `flywheel adjudicate list|decide|promote`."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from annotate.cli.context import console
from annotate.config import Quality
from annotate.consensus.adjudication import adjudicate, adjudication_queue, current_answer, dismiss_conflict, promote_to_gold
from annotate.consensus.lead_queue import feedback_conflicts
from annotate.consensus.agreement import AgreementReport, agreement_report
from annotate.consensus.answer_table import AnswerFilter
from annotate.review.annotators import list_annotators
from annotate.review.quality import Standing, standing_rows, standings

adjudicate_app = typer.Typer(help="The lead's adjudication queue: list it, decide tasks, settle conflicts, promote decisions to gold.",
                             no_args_is_help=True)  # fmt: skip

_ROUND = typer.Option(None, "--round", help="Only this round (by name).")
_KIND = typer.Option(None, "--kind", help="Only this task kind: correction or preference.")


def register(app: typer.Typer) -> None:
    app.command("agreement")(agreement)
    app.add_typer(adjudicate_app, name="adjudicate")


def agreement(
    ctx: typer.Context,
    round_name: str = _ROUND,
    kind: str = _KIND,
    since: str = typer.Option(None, "--since", help="Answers first submitted on or after this date (YYYY-MM-DD)."),
    until: str = typer.Option(None, "--until", help="Answers first submitted before this date (YYYY-MM-DD)."),
    annotator: str = typer.Option(None, "--annotator", help="Only tasks this annotator (email) answered."),
    as_json: bool = typer.Option(False, "--json", help="The report as JSON (schemas/agreement-report.schema.json)."),
) -> None:
    """Agreement per field (Krippendorff's alpha with its interval), per annotator pair (Cohen's
    kappa) and per annotator (gold accuracy, agreement with the resolved decision, pace), then
    gold accuracy against the `[quality]` bar and who is paused from new tasks."""
    project = ctx.obj.project()
    filters = AnswerFilter(round=round_name, kind=kind, since=since, until=until, annotator=annotator)
    with project.open_store() as store:
        report = agreement_report(store, project.config, filters)
        quality = [] if as_json else standings(store, list_annotators(store))
    if as_json:
        print(report.model_dump_json(indent=2))
        return
    _print_report(report)
    _print_bar(quality, project.config.quality)


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _print_report(report: AgreementReport) -> None:
    if report.n_tasks == 0:
        console.print("No task has two or more answers yet: agreement needs overlap (`\\[overlap]` in flywheel.toml).")
    table = Table("field", "measure", "value", "interval", "observed agreement", "items", "annotators",
                  title=f"Agreement over {report.n_tasks:,} tasks with overlap", title_justify="left")  # fmt: skip
    for name, field in report.fields.items():
        interval = "—" if field.alpha_ci is None else f"{field.alpha_ci[0]:.3f} – {field.alpha_ci[1]:.3f}"
        table.add_row(name, field.measure.replace("krippendorff_", ""), _number(field.alpha), interval,
                      _number(field.observed_agreement), f"{field.n_items:,}", str(field.n_annotators))  # fmt: skip
    console.print(table)
    people = Table("annotator", "answers", "gold accuracy", "gold items", "agrees with decision", "decided tasks",
                   "median s", "per active day", title="Annotators", title_justify="left")  # fmt: skip
    for row in report.annotators:
        people.add_row(escape(row.email), f"{row.n_annotations:,}", _number(row.gold_accuracy, 2), str(row.n_gold),
                       _number(row.agreement_with_resolved, 2), str(row.n_resolved), _number(row.median_seconds, 1),
                       _number(row.per_active_day, 1))  # fmt: skip
    console.print(people)
    console.print("Cohen's kappa per annotator pair: `flywheel agreement --json` (kappa, kappa_items), or the lead's dashboard.")


def _print_bar(quality: list[Standing], rules: Quality) -> None:
    """Gold accuracy against the `[quality]` bar, over all rounds, and who is paused from new tasks."""
    rows = standing_rows(quality)
    if not rows:
        return
    bar = "off" if rules.pause_below <= 0 else f"{rules.pause_below:.2f} after {rules.min_gold} gold answers"
    table = Table("annotator", "gold accuracy", "gold answers", "95% interval", "against the bar", "new tasks",
                  title=f"Gold accuracy against the bar ({bar}; all rounds)", title_justify="left")  # fmt: skip
    for row in rows:
        interval = "—" if row["low"] is None else f"{row['low']:.2f} – {row['high']:.2f}"
        table.add_row(escape(row["annotator"]), _number(row["gold accuracy"], 2), str(row["gold answers"]), interval,
                      escape(row["against the bar"]), escape(row["new tasks"]))  # fmt: skip
    console.print(table)


@adjudicate_app.command("list")
def list_queue(ctx: typer.Context, round_name: str = _ROUND, kind: str = _KIND) -> None:
    """Tasks whose answers need a lead, and why."""
    project = ctx.obj.project()
    with project.open_store() as store:
        queue = adjudication_queue(store, project.config, AnswerFilter(round=round_name, kind=kind))
        feedback = feedback_conflicts(store)
    if queue.empty and not feedback:
        console.print("Nothing to adjudicate: every task with overlap is resolved or still collecting answers.")
        return
    if feedback:
        _feedback_table(feedback)
    if queue.empty:
        return
    table = Table("task", "kind", "answers", "why", "prompt", title=f"Adjudication queue ({len(queue):,} tasks)", title_justify="left")
    for row in queue.itertuples():
        table.add_row(str(row.task_id), row.kind, str(row.n_answers), escape(row.reason), escape((row.prompt or "")[:60]))
    console.print(table)


def _feedback_table(feedback) -> None:
    """Conflicts between production answers users rated (no task to decide): only a dismissal settles them."""
    table = Table("conflict", "kind", "examples", "why", "prompt", title_justify="left",
                  title=f"Conflicts in production feedback, no task to decide ({len(feedback):,}): dismiss each "
                        "(`flywheel adjudicate dismiss ID`) or leave its examples out")  # fmt: skip
    for item in feedback:
        prompt = item.examples[0].prompt if item.examples else ""
        table.add_row(str(item.conflict.id), item.conflict.kind, escape(", ".join(item.conflict.example_ids)),
                      escape(item.conflict.detail), escape(prompt[:60]))  # fmt: skip
    console.print(table)


@adjudicate_app.command("decide")
def decide(
    ctx: typer.Context,
    task_id: int = typer.Argument(..., help="The task."),
    lead: str = typer.Option(..., "--lead", help="Your email (a lead or admin)."),
    pick: int = typer.Option(..., "--pick", help="The annotation whose answer is the decision."),
    reason: str = typer.Option(..., "--reason", help="Why this answer is right (required)."),
) -> None:
    """Decide a task by picking one annotator's answer (the review app also merges and rewrites)."""
    project = ctx.obj.project()
    with project.open_store() as store:
        picked = current_answer(store, task_id, pick)
        if picked is None:
            raise typer.BadParameter(f"annotation {pick} is not a current answer to task {task_id}")
        decision = adjudicate(store, task_id, lead, picked.answer, reason, "picked", pick)
    console.print(f"Task {task_id} decided (adjudication {decision}): {picked.verdict or picked.choice}, from annotation {pick}.")


@adjudicate_app.command("conflicts")
def conflicts_command(ctx: typer.Context) -> None:
    """Conflicts the export found (near-identical prompts, contradicting answers) that wait for a lead."""
    from annotate.consensus.conflicts import waiting_conflicts

    with ctx.obj.project().open_store() as store:
        waiting = waiting_conflicts(store)
    if not waiting:
        console.print("No conflict waits: the export found none, or leads settled them all.")
        return
    table = Table("conflict", "kind", "tasks", "examples", "why", "found", title=f"Conflicts waiting ({len(waiting):,})",
                  title_justify="left")  # fmt: skip
    for conflict in waiting:
        table.add_row(str(conflict.id), conflict.kind, ", ".join(map(str, conflict.task_ids)) or "-",
                      escape(", ".join(conflict.example_ids)), escape(conflict.detail), conflict.found_at[:19])  # fmt: skip
    console.print(table)
    console.print("Settle one by deciding each of its tasks (`flywheel adjudicate decide`, or the Adjudicate page), "
                  "or `flywheel adjudicate dismiss ID --lead EMAIL --reason ...` when both answers stand.")  # fmt: skip


@adjudicate_app.command("dismiss")
def dismiss(
    ctx: typer.Context,
    conflict_id: int = typer.Argument(..., help="The conflict (`flywheel adjudicate conflicts`)."),
    lead: str = typer.Option(..., "--lead", help="Your email (a lead or admin)."),
    reason: str = typer.Option(..., "--reason", help="Why both answers stand (required)."),
) -> None:
    """Dismiss a conflict: the prompts differ in a way that matters, so its examples are exported again."""
    with ctx.obj.project().open_store() as store:
        conflict = dismiss_conflict(store, conflict_id, lead, reason)
    console.print(f"Conflict {conflict.id} dismissed: its {len(conflict.example_ids)} examples are exported again.")


@adjudicate_app.command("promote")
def promote(ctx: typer.Context, task_id: int = typer.Argument(...), lead: str = typer.Option(..., "--lead")) -> None:
    """Make a decided task a gold item, so later batches score annotators against it."""
    with ctx.obj.project().open_store() as store:
        changed = promote_to_gold(store, task_id, lead)
    console.print(f"Task {task_id}'s decision is {'now' if changed else 'already'} a gold item.")

