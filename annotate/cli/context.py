"""What every command shares: the global options, the consoles, and the project lookup."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape

from annotate.project import Project, find_project

console = Console()
err_console = Console(stderr=True)


def print_error(error: Exception | str) -> None:
    """An error as the one line every command prints for it (its text shown literally)."""
    err_console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)


@dataclass
class CliContext:
    project_dir: str | None
    db: str | None
    quiet: bool

    def project(self) -> Project:
        return find_project(self.project_dir, self.db)
