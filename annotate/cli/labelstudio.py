"""`flywheel ls push|pull|sync|status|config`: route tasks through a Label Studio server.

The server and key come from `LABEL_STUDIO_URL` and `LABEL_STUDIO_API_KEY`; neither the key nor
the URL's user-info is ever printed (the client shows `redact_url`'s form and masks errors). `FLYWHEEL_LS_TIMEOUT` sets how long to wait for the server (default 120 s).
"""

from __future__ import annotations

import time

import typer
from rich.markup import escape
from rich.table import Table

from annotate.cli.context import console, err_console
from annotate.cli.progress import progress_bar
from annotate.errors import FlywheelError, LabelStudioError
from annotate.labelstudio.configs import labeling_config
from annotate.labelstudio.payloads import DEFAULT_BATCH_SIZE

# The Label Studio SDK (imported by annotate.labelstudio.client, ls_push, ls_pull) takes about half a second
# to import: it is imported inside the commands, so every other command starts without it.

ls_app = typer.Typer(help="Route tasks through a Label Studio server: push tasks, pull annotations.", no_args_is_help=True)

_KIND = typer.Option(None, "--kind", help="Only this task kind: correction or preference.")
_LIMIT = typer.Option(None, "--limit", min=1, help="Push at most this many tasks (best first).")
_BATCH = typer.Option(DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="Tasks per import request.")


def register(app: typer.Typer) -> None:
    app.add_typer(ls_app, name="ls")


@ls_app.command("push")
def push_command(
    ctx: typer.Context,
    kind: str = _KIND,
    limit: int = _LIMIT,
    batch_size: int = _BATCH,
    recreate: bool = typer.Option(False, "--recreate", help="A project deleted on the server: push its open tasks to a new one."),
    reset_config: bool = typer.Option(False, "--reset-config", help="Write Flywheel's labeling config back over one changed on the server."),
) -> None:  # fmt: skip
    """Push the open tasks routed to Label Studio (`flywheel select --route labelstudio`), each once."""
    from annotate.labelstudio.client import LabelStudioClient
    from annotate.labelstudio.push import push, tasks_waiting

    project = ctx.obj.project()
    client = LabelStudioClient.from_env()
    with project.open_store() as store, progress_bar(ctx.obj.quiet, "pushing tasks") as update:
        on_batch = _counting(update, tasks_waiting(store, kind, limit))
        report = push(store, client, project.config, kind=kind, limit=limit, recreate=recreate,
                      reset_config=reset_config, batch_size=batch_size, on_batch=on_batch)  # fmt: skip
    _print_push(report, client.url)


@ls_app.command("pull")
def pull_command(ctx: typer.Context) -> None:
    """Pull new, edited, skipped and deleted annotations from every Label Studio project Flywheel made."""
    from annotate.labelstudio.client import LabelStudioClient
    from annotate.labelstudio.pull import pull

    project = ctx.obj.project()
    client = LabelStudioClient.from_env()
    with project.open_store() as store, progress_bar(ctx.obj.quiet, "pulling tasks") as update:
        report = pull(store, client, project.config, on_task=_counting(update, None))
    _print_pull(report)
    if report.invalid:
        raise typer.Exit(3)


@ls_app.command("sync")
def sync_command(
    ctx: typer.Context,
    every: float = typer.Option(60, "--every", min=1, help="Seconds between rounds of push and pull."),
    kind: str = _KIND,
    rounds: int = typer.Option(0, "--rounds", min=0, help="Stop after this many rounds (0: run until Ctrl-C)."),
) -> None:
    """Push, then pull, every SECONDS until stopped. A server that is down is retried next time."""
    from annotate.labelstudio.client import LabelStudioClient
    from annotate.labelstudio.pull import pull
    from annotate.labelstudio.push import push

    project = ctx.obj.project()
    client = LabelStudioClient.from_env()
    done = 0
    try:
        while True:
            started = time.monotonic()
            try:
                with project.open_store() as store:
                    pushed = push(store, client, project.config, kind=kind)
                    pulled = pull(store, client, project.config)
                console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] pushed {pushed.pushed:,} tasks; {_pull_line(pulled)}")
                for problem in pulled.invalid + pulled.deleted:
                    err_console.print(f"  task {problem.ls_task_id}, annotation {problem.ls_annotation_id}: {escape(problem.reason)}")
            except LabelStudioError as exc:
                err_console.print(f"[bold red]error:[/] {escape(str(exc))} (retrying in {every:g} s)", soft_wrap=True)
            done += 1
            if rounds and done >= rounds:
                return
            time.sleep(max(0.0, every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        console.print("stopped")


@ls_app.command("status")
def status_command(ctx: typer.Context) -> None:
    """The Label Studio projects Flywheel made, and what was pushed and pulled (no server needed)."""
    from annotate.labelstudio.push import sync_status

    with ctx.obj.project().open_store() as store:
        status = sync_status(store)
    projects, problems = status.projects, status.problems
    if not projects:
        console.print("Nothing pushed yet: `flywheel select --route labelstudio`, then `flywheel ls push`.")
        return
    table = Table("project", "kind", "round", "pushed", "done", "answers", "skips", "invalid", "deleted", "last pull",
                  title="Label Studio projects (tasks pushed and done; annotations pulled)", title_justify="left")  # fmt: skip
    for row in projects:
        name = str(row["ls_project_id"]) + (" (gone)" if row["status"] == "gone" else "")
        table.add_row(name, row["kind"], escape(row["round_name"]),
                      *(f"{row[key]:,}" for key in ("pushed_tasks", "done_tasks", "stored", "skipped", "invalid", "deleted")),
                      (row["last_pull_at"] or "never")[:19])  # fmt: skip
    console.print(table)
    if problems:
        console.print("[bold]Not stored (invalid) or deleted on the server:[/]")
        for row in problems:
            console.print(f"  project {row['ls_project_id']}, task {row['ls_task_id']}, annotation "
                          f"{row['ls_annotation_id']} ({row['state']}): {escape(row['problem'] or '')}")  # fmt: skip


@ls_app.command("config")
def config_command(ctx: typer.Context, kind: str = typer.Argument(..., help="correction or preference.")) -> None:
    """Print the labeling config Flywheel generates for this project's taxonomy."""
    if kind not in ("correction", "preference"):
        raise FlywheelError(f"unknown task kind {kind!r}: correction or preference")
    print(labeling_config(kind, ctx.obj.project().config.taxonomy))


def _counting(update, total: int | None):
    """A callback that adds up the counts it is given and shows the sum on the progress bar."""
    done = 0

    def add(count: int) -> None:
        nonlocal done
        done += count
        if update:
            update(done, total)

    return add


def _print_push(report, url: str) -> None:
    if not report.projects:
        console.print("Nothing to push: no open tasks routed to Label Studio are waiting "
                      "(`flywheel select --route labelstudio` makes some).")  # fmt: skip
        return
    for project in report.projects:
        made = "created" if project.created else "reused"
        console.print(f"{project.kind}: pushed [bold]{project.pushed:,}[/] tasks to project {project.ls_project_id} "
                      f"({escape(project.title)}, {made}) at {url}/projects/{project.ls_project_id}")  # fmt: skip
        if project.reconciled:
            console.print(f"  {project.reconciled:,} tasks from an interrupted push were found on the server and recorded (not pushed again)")
        if project.redacted_tasks:
            kinds = ", ".join(f"{entity} x{count}" for entity, count in project.redacted.most_common())
            console.print(f"  personal data redacted in {project.redacted_tasks:,} tasks ({kinds})")
        if project.held_back:
            console.print(f"  {project.held_back:,} tasks held back: they hold personal data and pii.on_push is 'block'")
        if project.config_updated:
            console.print("  the labeling config on the server was updated to the project's taxonomy")


def _pull_line(report) -> str:
    return (f"pulled {report.stored:,} new annotations, {report.superseded:,} edits, {report.skipped:,} skips "
            f"from {report.tasks_seen:,} updated tasks; {len(report.invalid):,} invalid, {len(report.deleted):,} deleted")  # fmt: skip


def _print_pull(report) -> None:
    if not report.projects:
        console.print("No Label Studio projects yet: `flywheel ls push` first.")
        return
    console.print(_pull_line(report).capitalize() + ".")
    if report.new_annotators:
        console.print(f"New annotators (role annotator): {escape(', '.join(report.new_annotators))}")
    for problem in report.invalid:
        err_console.print(f"invalid, not stored: project {problem.ls_project_id}, task {problem.ls_task_id}, annotation "
                          f"{problem.ls_annotation_id} by {escape(str(problem.annotator))}: {escape(problem.reason)}")  # fmt: skip
    for problem in report.deleted:
        err_console.print(f"deleted on the server: project {problem.ls_project_id}, task {problem.ls_task_id}, "
                          f"annotation {problem.ls_annotation_id} by {escape(str(problem.annotator))}: {escape(problem.reason)}")  # fmt: skip
    if report.unknown_tasks:
        err_console.print(f"{len(report.unknown_tasks)} annotated tasks were not pushed by Flywheel and were left alone "
                          f"(Label Studio ids {', '.join(map(str, report.unknown_tasks[:10]))})")  # fmt: skip
