"""The store: Flywheel's embedded SQLite database, and the only place that runs SQL.

`Store(path)` opens (or creates) the database, turns on WAL, foreign keys and a busy
timeout, and applies pending migrations, so a new and an old database are handled the same
way. Queries are named methods, grouped by table in the mixins imported below; every value
is passed as a parameter, never formatted into SQL. A database that stays locked past the busy
timeout raises `StoreBusy` (a `FlywheelError`), never a bare `sqlite3.OperationalError`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from annotate.errors import StoreBusy, StoreError
from annotate.store._sqlite_utils import Database
from annotate.store.agreement import AgreementQueries
from annotate.store.annotators import AnnotatorQueries
from annotate.store.answers import AnswerQueries
from annotate.store.changes import ChangeQueries
from annotate.store.claims import ClaimQueries
from annotate.store.conflicts import ConflictQueries
from annotate.store.datasets import DatasetQueries
from annotate.store.flags import FlagQueries
from annotate.store.ingests import IngestQueries
from annotate.store.labelstudio import LabelStudioQueries
from annotate.store.migrations import migrations
from annotate.store.overview import OverviewQueries
from annotate.store.pauses import PauseQueries
from annotate.store.records import RecordQueries
from annotate.store.rounds import RoundQueries
from annotate.store.sessions import SessionQueries
from annotate.store.settings import SettingQueries
from annotate.store.signals import SignalQueries
from annotate.store.tasks import TaskQueries

BUSY_TIMEOUT_SECONDS = 30.0
CACHE_KIB = 64 * 1024  # page cache per connection (grows only as used); 4% faster ingest at 1M records


class Store(
    RecordQueries, RoundQueries, IngestQueries, OverviewQueries, SignalQueries, AnnotatorQueries, FlagQueries,
    TaskQueries, SettingQueries, ClaimQueries, LabelStudioQueries, AgreementQueries, AnswerQueries,
    DatasetQueries, ConflictQueries, PauseQueries, SessionQueries, ChangeQueries,
):
    """A Flywheel database file, migrated to the current schema on open."""

    def __init__(self, path: str | Path, *, busy_timeout: float | None = None):
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise StoreError(f"{self.path}: its folder {self.path.parent} does not exist")
        busy_timeout = BUSY_TIMEOUT_SECONDS if busy_timeout is None else busy_timeout
        try:
            conn = sqlite3.connect(self.path, timeout=busy_timeout, factory=_Connection)
            conn.busy_message = (
                f"{self.path}: the database stayed busy for {busy_timeout:g} s (another process is writing to it); "
                "nothing was changed, try again"
            )
            self.db = Database(conn, execute_plugins=False)
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            self.db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            migrations.apply(self.db)
        except StoreBusy:
            raise
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open as a Flywheel database: {exc}") from exc

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Everything inside commits together or not at all."""
        with self.db.atomic():
            yield self

    def schema_version(self) -> tuple[int, str]:
        """(number of applied migrations, name of the latest)."""
        applied = migrations.applied(self.db)
        return len(applied), (applied[-1].name if applied else "")

    def pending_migrations(self) -> list[str]:
        return [migration.name for migration in migrations.pending(self.db)]

    def table_counts(self) -> dict[str, int]:
        """Row count of every Flywheel table (internal tables left out)."""
        names = [name for name in self.db.table_names() if not name.startswith(("_", "sqlite_"))]
        return {name: self.db[name].count for name in sorted(names)}

    @contextmanager
    def immediate(self) -> Iterator[Store]:
        """A write transaction that takes the write lock up front (BEGIN IMMEDIATE).

        For read-then-write work such as claiming a slot: two connections can never both read
        the same free slot and then both write it, and nobody fails on a lock upgrade; a
        waiting writer waits up to the busy timeout.
        """
        if self.conn.in_transaction:
            raise StoreError("immediate() cannot nest inside another transaction")
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        else:
            self.conn.commit()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _busy_as_store_busy(method):
    """`method` (a sqlite3 statement method), raising `StoreBusy` when the database stays locked
    past the busy timeout; every other error passes through unchanged. (A plain try/except, not a
    context manager: this wraps every statement, and a generator per call would triple its cost.)"""

    def wrapped(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) if code is not None else "locked" in str(exc):
                connection = self if isinstance(self, sqlite3.Connection) else self.connection
                raise StoreBusy(connection.busy_message) from exc
            raise

    return wrapped


class _Cursor(sqlite3.Cursor):
    execute = _busy_as_store_busy(sqlite3.Cursor.execute)
    executemany = _busy_as_store_busy(sqlite3.Cursor.executemany)


class _Connection(sqlite3.Connection):
    """The store's connection: its statements raise `StoreBusy` rather than "database is locked"."""

    busy_message = "the database is busy; try again"
    execute = _busy_as_store_busy(sqlite3.Connection.execute)
    executemany = _busy_as_store_busy(sqlite3.Connection.executemany)
    executescript = _busy_as_store_busy(sqlite3.Connection.executescript)
    commit = _busy_as_store_busy(sqlite3.Connection.commit)

    def cursor(self, *args, **kwargs):
        return super().cursor(_Cursor)
