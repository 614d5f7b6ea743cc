"""`flywheel users add|list|deactivate|reactivate|pause|resume|reset-password|role`: the people who may sign in to the review app.

A password comes from a hidden prompt (typed twice) when stdin is a terminal, from stdin with
`--password-stdin` (for scripts), or is generated with `--generate` and printed once.

Every change acts as someone: `--as EMAIL` names a lead or admin, whose role is checked by the
same rules as the review app's Annotators page (`annotate.review.annotators`); without it, the
command acts as the machine's operator, who holds the database file and so has an admin's
rights. The last active admin is never demoted or deactivated, whoever acts.

`users list` shows each person's gold accuracy (right of answered, with its Wilson interval) and
whether they take new tasks: a person under the `[quality]` bar is paused (`annotate.review.quality`)
until a lead runs `users resume`.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from rich.table import Table

from annotate.cli.context import console
from annotate.errors import AnnotatorError
from annotate.records import ROLES
from annotate.review.annotators import (
    OPERATOR,
    Operator,
    add_annotator,
    check_may_reset_password,
    deactivate,
    find_annotator,
    list_annotators,
    pause,
    reactivate,
    resume,
    reset_password,
    set_role,
)
from annotate.review.auth import account_status, generate_password, minute_text
from annotate.review.quality import pause_text, standings

users_app = typer.Typer(help="People who may sign in to the review app: add, list, deactivate, pause from new tasks, reset, change role.",
                        no_args_is_help=True)  # fmt: skip

_PASSWORD_STDIN = typer.Option(False, "--password-stdin", help="Read the password from stdin (first line).")
_GENERATE = typer.Option(False, "--generate", help="Generate a password and print it once.")
_AS = typer.Option(None, "--as", help="Act as this lead or admin: their role decides what may change, as in the app "
                   "(default: the machine's operator, with an admin's rights).")  # fmt: skip


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
    actor: str = _AS,
) -> None:
    """Register a person with a password (prompted, from stdin, or generated)."""
    if if_missing:
        with ctx.obj.project().open_store() as store:
            if find_annotator(store, email) is not None:
                console.print(f"{escape(email)} is already registered; left as it is.", highlight=False)
                return
    password = _new_password(password_stdin, generate)
    with ctx.obj.project().open_store() as store:
        added = add_annotator(store, email, role, name, password=password, by=_by(actor))
    console.print(f"Added [bold]{escape(added['email'])}[/] as {added['role']}.", highlight=False)
    _show_if_generated(password, generate)


@users_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List everyone registered, with role, active flag, last sign-in, gold accuracy and whether
    they take new tasks (a pause: who, when and why, below the table)."""
    with ctx.obj.project().open_store() as store:
        people = list_annotators(store)
        quality = {standing.email: standing for standing in standings(store, people)}
    table = Table("email", "name", "role", "active", "last sign-in (UTC)", "gold accuracy", "new tasks")
    for person in people:
        standing = quality[person["email"]]
        table.add_row(escape(person["email"]), escape(person["name"] or ""), person["role"], account_status(person),
                      minute_text(person["last_sign_in_at"]) or "never", standing.tally.text(),
                      "paused" if standing.paused else "yes")  # fmt: skip
    console.print(table)
    for standing in quality.values():
        if standing.paused:
            console.print(f"[bold]{escape(standing.email)}[/] {escape(pause_text(standing.pause))}. "
                          f"`flywheel users resume {escape(standing.email)} --reason ...` lifts it.", highlight=False, soft_wrap=True)  # fmt: skip


@users_app.command("deactivate")
def deactivate_command(
    ctx: typer.Context, email: str = typer.Argument(..., help="Who to deactivate."), actor: str = _AS
) -> None:
    """Stop a person from signing in and taking tasks; their annotations stay."""
    with ctx.obj.project().open_store() as store:
        person = deactivate(store, email, by=_by(actor))
    console.print(f"Deactivated [bold]{escape(person['email'])}[/].", highlight=False)


@users_app.command("reactivate")
def reactivate_command(
    ctx: typer.Context, email: str = typer.Argument(..., help="Who to let back in."), actor: str = _AS
) -> None:
    """Let a deactivated person sign in and take tasks again."""
    with ctx.obj.project().open_store() as store:
        person = reactivate(store, email, by=_by(actor))
    console.print(f"Reactivated [bold]{escape(person['email'])}[/].", highlight=False)


_REASON = typer.Option(..., "--reason", help="Why (required; kept with the decision).")


@users_app.command("pause")
def pause_command(
    ctx: typer.Context, email: str = typer.Argument(..., help="Who to pause."), reason: str = _REASON, actor: str = _AS
) -> None:
    """Stop a person from taking new tasks; what they hold and their answers stay."""
    with ctx.obj.project().open_store() as store:
        paused = pause(store, email, reason, by=_by(actor))
    console.print(f"Paused [bold]{escape(email.strip())}[/] from new tasks ({escape(pause_text(paused))}).",
                  highlight=False, soft_wrap=True)  # fmt: skip


@users_app.command("resume")
def resume_command(
    ctx: typer.Context, email: str = typer.Argument(..., help="Who may take new tasks again."), reason: str = _REASON,
    actor: str = _AS,
) -> None:  # fmt: skip
    """Let a paused person take new tasks again; only gold answers after this count toward a new pause."""
    with ctx.obj.project().open_store() as store:
        resumed = resume(store, email, reason, by=_by(actor))
    console.print(f"Resumed [bold]{escape(email.strip())}[/] ({escape(pause_text(resumed))}).", highlight=False, soft_wrap=True)


@users_app.command("reset-password")
def reset_password_command(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="Whose password to reset."),
    password_stdin: bool = _PASSWORD_STDIN,
    generate: bool = _GENERATE,
    actor: str = _AS,
) -> None:
    """Give a person a new password (prompted, from stdin, or generated); also ends a lockout."""
    with ctx.obj.project().open_store() as store:
        check_may_reset_password(store, email, by=_by(actor))  # refuse before asking for a password
    password = _new_password(password_stdin, generate)
    with ctx.obj.project().open_store() as store:
        person = reset_password(store, email, password, by=_by(actor))
    console.print(f"New password set for [bold]{escape(person['email'])}[/]; any lockout is cleared.", highlight=False)
    _show_if_generated(password, generate)


@users_app.command("role")
def role_command(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="Whose role to change."),
    role: str = typer.Argument(..., help=f"One of: {', '.join(ROLES)}."),
    actor: str = _AS,
) -> None:
    """Give a person another role."""
    with ctx.obj.project().open_store() as store:
        person = set_role(store, email, role, by=_by(actor))
    console.print(f"[bold]{escape(person['email'])}[/] is now {person['role']}.", highlight=False)


def _by(actor: str | None) -> str | Operator:
    """Who acts: the person `--as` names, else the machine's operator."""
    return actor.strip() if actor else OPERATOR


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


