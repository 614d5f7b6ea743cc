"""How pages reach the project and its store: a fresh connection per script run.

`sqlite3` connections refuse to cross threads and Streamlit reruns may use another thread, so
the store is opened per run rather than shared through `st.cache_resource`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from annotate.project import Project, find_project
from annotate.store import Store


def current_project() -> Project:
    """The project named by FLYWHEEL_PROJECT / FLYWHEEL_DB (set by `flywheel app` and `make demo`)."""
    return find_project()


@contextmanager
def open_store() -> Iterator[Store]:
    with current_project().open_store() as store:
        yield store
