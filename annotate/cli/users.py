"""`flywheel users add|list|deactivate|reactivate|reset-password|role`: the people who may sign in to the review app.

A password comes from a hidden prompt (typed twice) when stdin is a terminal, from stdin with
`--password-stdin` (for scripts), or is generated with `--generate` and printed once.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from rich.table import Table

from annotate.cli.context import console
from annotate.errors import AnnotatorError
from annotate.review.annotators import ROLES, add_annotator, deactivate, list_annotators, reactivate, set_role
from annotate.review.auth import account_status, generate_password, minute_text, set_password

users_app = typer.Typer(help="People who may sign in to the review app: add, list, deactivate, reset, change role.",
                        no_args_is_help=True)  # fmt: skip

_PASSWORD_STDIN = typer.Option(False, "--password-stdin", help="Read the password from stdin (first line).")
_GENERATE = typer.Option(False, "--generate", help="Generate a password and print it once.")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


@users_app.command("add")
def add(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="Their email: their identity everywhere."),
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}."),
    name: str = typer.Option(None, "--name", help="Name shown in the app."),
    password_stdin: bool = _PASSWORD_STDIN,
    generate: bool = _GENERATE,
    if_missing: bool = typer.Option(False, "--if-missing", help="Do nothing if the email is registered (for setup scripts)."),
) -> None:
    """Register a person with a password (prompted, from stdin, or generated)."""
    if if_missing:
        with ctx.obj.project().open_store() as store:
            if store.annotator_by_email(email.strip()) is not None:
                console.print(f"{escape(email)} is already registered; left as it is.", highlight=False)
                return
    password = _new_password(password_stdin, generate)
    with ctx.obj.project().open_store() as store:
        added = add_annotator(store, email, role, name, password=password)
    console.print(f"Added [bold]{escape(added['email'])}[/] as {added['role']}.", highlight=False)
    _show_if_generated(password, generate)


@users_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List everyone registered, with role, active flag and last sign-in."""
    with ctx.obj.project().open_store() as store:
        people = list_annotators(store)
    table = Table("email", "name", "role", "active", "last sign-in (UTC)")
    for person in people:
        table.add_row(escape(person["email"]), escape(person["name"] or ""), person["role"], account_status(person),
                      minute_text(person["last_sign_in_at"]) or "never")  # fmt: skip
    console.print(table)


@users_app.command("deactivate")
def deactivate_command(ctx: typer.Context, email: str = typer.Argument(..., help="Who to deactivate.")) -> None:
    """Stop a person from signing in and taking tasks; their annotations stay."""
    with ctx.obj.project().open_store() as store:
        person = deactivate(store, email)
    console.print(f"Deactivated [bold]{escape(person['email'])}[/].", highlight=False)


@users_app.command("reactivate")
def reactivate_command(ctx: typer.Context, email: str = typer.Argument(..., help="Who to let back in.")) -> None:
    """Let a deactivated person sign in and take tasks again."""
    with ctx.obj.project().open_store() as store:
        person = reactivate(store, email)
    console.print(f"Reactivated [bold]{escape(person['email'])}[/].", highlight=False)


@users_app.command("reset-password")
def reset_password(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="Whose password to reset."),
    password_stdin: bool = _PASSWORD_STDIN,
    generate: bool = _GENERATE,
) -> None:
    """Give a person a new password (prompted, from stdin, or generated); also ends a lockout."""
    password = _new_password(password_stdin, generate)
    with ctx.obj.project().open_store() as store:
        person = set_password(store, email, password)
    console.print(f"New password set for [bold]{escape(person['email'])}[/]; any lockout is cleared.", highlight=False)
    _show_if_generated(password, generate)


@users_app.command("role")
def role_command(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="Whose role to change."),
    role: str = typer.Argument(..., help=f"One of: {', '.join(ROLES)}."),
) -> None:
    """Give a person another role."""
    with ctx.obj.project().open_store() as store:
        person = set_role(store, email, role)
    console.print(f"[bold]{escape(person['email'])}[/] is now {person['role']}.", highlight=False)


def _new_password(from_stdin: bool, generate: bool) -> str:
    if from_stdin and generate:
        raise AnnotatorError("choose one of --password-stdin and --generate")
    if generate:
        return generate_password()
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not stdin_is_terminal():
        raise AnnotatorError("stdin is not a terminal: pass --password-stdin or --generate")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _show_if_generated(password: str, generate: bool) -> None:
    if generate:
        console.print(f"Password: {password}", highlight=False, soft_wrap=True)
        console.print("It is shown only this once; pass it on safely.")


