"""How pages reach the project and its store: a fresh connection per script run.

`sqlite3` connections refuse to cross threads and Streamlit reruns may use another thread, so
the store is opened per run rather than shared through `st.cache_resource`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from annotate.project import Project, find_project
from annotate.store import Store


def current_project() -> Project:
    """The project named by FLYWHEEL_PROJECT / FLYWHEEL_DB (set by `flywheel app` and `make demo`).

    Parsed once per version of its config file (a page run asks for it several times), so an
    edited flywheel.toml still takes effect on the next run.
    """
    located = find_project()
    return _project(located.root, located.db_path, located.config_path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _project(root: Path, db_path: Path, config_version: int) -> Project:
    return Project(root=root, db_path=db_path)


@contextmanager
def open_store() -> Iterator[Store]:
    with current_project().open_store() as store:
        yield store
