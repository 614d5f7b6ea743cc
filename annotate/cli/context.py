"""What every command shares: the global options, the consoles, and the project lookup."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console

from annotate.project import Project, find_project

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliContext:
    project_dir: str | None
    db: str | None
    quiet: bool

    def project(self) -> Project:
        return find_project(self.project_dir, self.db)
