"""A rich progress bar for long commands, silent when the global --quiet is given."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from annotate.cli.context import err_console

ProgressCallback = Callable[..., None]


@contextmanager
def progress_bar(quiet: bool, label: str, *, in_bytes: bool = False) -> Iterator[ProgressCallback | None]:
    """Yields `update(done, total, label=None)` (a new label starts a new bar), or None when quiet."""
    if quiet:
        yield None
        return
    counter = DownloadColumn() if in_bytes else MofNCompleteColumn()
    columns = (TextColumn("{task.description}"), BarColumn(), counter, TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(done: int, total: int, name: str | None = None) -> None:
            name = name or label
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)

        yield update
