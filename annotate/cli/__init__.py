"""The `flywheel` command: one entry point for every step of the loop.

Commands parse their options, call the domain layer and show the result; they hold no SQL
and no business rules. Domain errors (`FlywheelError`) become a one-line message on stderr
and exit code 1 (ingest documents its own codes), never a traceback; an unexpected exception (a
bug) becomes one line and exit code 70, its traceback kept in a file.

Start-up: `main()` imports only the module of the command being run (`flywheel agreement` does not
load training, Label Studio or Streamlit code); `app`, the whole command tree (help, reference,
tests), is built on first use.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import tempfile
import traceback

import typer
from rich.logging import RichHandler
from rich.markup import escape
from typer.core import TyperGroup

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


COMMAND_MODULES = ("project", "ingest", "flag", "score", "queue", "gold", "schemas", "sample", "app_server", "users",
                   "labelstudio", "agreement", "annotation_import", "export", "models", "train", "evaluate")  # the help's order
MODULE_OF_COMMAND = {
    "init": "project", "db": "project", "round": "project", "ingest": "ingest", "flag": "flag", "score": "score",
    "select": "queue", "queue": "queue", "gold": "gold", "schemas": "schemas", "sample": "sample", "app": "app_server",
    "users": "users", "ls": "labelstudio", "agreement": "agreement", "adjudicate": "agreement",
    "annotations": "annotation_import", "export": "export", "models": "models", "train": "train", "eval": "evaluate",
}  # fmt: skip
_VALUED_OPTIONS = ("--project", "-p", "--db")  # the global options that take a value


def _global_options(
    ctx: typer.Context,
    project_dir: str = typer.Option(
        None, "--project", "-p", envvar="FLYWHEEL_PROJECT", help="Project folder (default: nearest with a flywheel.toml)."
    ),
    db: str = typer.Option(None, "--db", envvar="FLYWHEEL_DB", help="Database file (default: flywheel.db in the project)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    ctx.obj = CliContext(project_dir=project_dir, db=db, quiet=quiet)


def build_app(modules: tuple[str, ...] = COMMAND_MODULES) -> typer.Typer:
    """The `flywheel` command with the commands of `modules` (all by default)."""
    app = typer.Typer(
        cls=_FlywheelGroup,
        name="flywheel",
        help="Turn a deployed LLM's production failures into better fine-tuning data.",
        no_args_is_help=True,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_global_options)
    for name in modules:
        importlib.import_module(f"annotate.cli.{name}").register(app)
    return app


def command_modules(args: list[str]) -> tuple[str, ...]:
    """The modules a command line needs: its command's, or all of them (top-level help, an unknown
    command, no command) so typer answers exactly as with the whole tree."""
    position = 0
    while position < len(args) and args[position].startswith("-"):
        position += 2 if args[position] in _VALUED_OPTIONS else 1
    if position < len(args) and args[position] in MODULE_OF_COMMAND:
        return (MODULE_OF_COMMAND[args[position]],)
    return COMMAND_MODULES


def __getattr__(name: str):
    """`app` (the whole command tree, built once) and the command modules, on first use."""
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    if name in COMMAND_MODULES:
        return importlib.import_module(f"annotate.cli.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[RichHandler(console=err_console, show_path=False)])
    build_app(command_modules(sys.argv[1:]))()
