"""The `flywheel` command: one entry point for every step of the loop.

Commands parse their options, call the domain layer and show the result; they hold no SQL
and no business rules. Domain errors (`FlywheelError`) become a one-line message on stderr
and exit code 1 (ingest documents its own codes), never a traceback; an unexpected exception (a
bug) becomes one line and exit code 70, its traceback kept in a file.
"""

from __future__ import annotations

import logging
import os
import tempfile
import traceback

import typer
from rich.logging import RichHandler
from rich.markup import escape
from typer.core import TyperGroup

from annotate.cli import (agreement, annotation_import, app_server, evaluate, export, flag, gold, ingest, labelstudio, models,
                          project, queue, sample, schemas, score, train, users)  # fmt: skip
from annotate.cli.context import CliContext, err_console, print_error
from annotate.errors import FlywheelError
from annotate.text.secrets import redact



EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug in Flywheel, never an input's fault
_PASS_THROUGH = (typer.Exit, typer.Abort, typer.TyperException)  # exits, Ctrl-C, usage errors: typer shows them


class _FlywheelGroup(TyperGroup):
    """The command group that turns a `FlywheelError` from any command into message + exit 1, and
    anything else that escapes (a bug) into one line, exit 70, with the traceback kept in a file
    rather than printed (FLYWHEEL_DEBUG=1 raises it instead)."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except FlywheelError as exc:
            print_error(exc)
            raise typer.Exit(1) from exc
        except _PASS_THROUGH:
            raise
        except Exception as exc:
            if os.environ.get("FLYWHEEL_DEBUG"):
                raise
            kept = _keep_traceback(exc)
            err_console.print(f"[bold red]internal error:[/] {escape(redact(f'{type(exc).__name__}: {exc}')[:300])}. "
                              f"This is a bug in Flywheel, not in your input; the traceback is in {escape(kept)} "
                              "(or run again with FLYWHEEL_DEBUG=1).", highlight=False, soft_wrap=True)  # fmt: skip
            raise typer.Exit(EXIT_INTERNAL_ERROR) from exc


def _keep_traceback(exc: Exception) -> str:
    """Write the traceback (secrets redacted) to a file in the temporary folder; returns its path."""
    with tempfile.NamedTemporaryFile("w", prefix="flywheel-crash-", suffix=".txt", delete=False, encoding="utf-8",
                                     errors="backslashreplace") as handle:  # fmt: skip
        handle.write(redact("".join(traceback.format_exception(exc))))
    return handle.name


app = typer.Typer(
    cls=_FlywheelGroup,
    name="flywheel",
    help="Turn a deployed LLM's production failures into better fine-tuning data.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    project_dir: str = typer.Option(
        None, "--project", "-p", envvar="FLYWHEEL_PROJECT", help="Project folder (default: nearest with a flywheel.toml)."
    ),
    db: str = typer.Option(None, "--db", envvar="FLYWHEEL_DB", help="Database file (default: flywheel.db in the project)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    ctx.obj = CliContext(project_dir=project_dir, db=db, quiet=quiet)


project.register(app)
ingest.register(app)
flag.register(app)
score.register(app)
queue.register(app)
gold.register(app)
schemas.register(app)
sample.register(app)
app_server.register(app)
users.register(app)
labelstudio.register(app)
agreement.register(app)
annotation_import.register(app)
export.register(app)
models.register(app)
train.register(app)
evaluate.register(app)


def main() -> None:
    """Console entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[RichHandler(console=err_console, show_path=False)])
    app()
