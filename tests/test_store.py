import sqlite3

import pytest

from annotate.errors import FlywheelError, StoreBusy, StoreError
from annotate.store import Store
from annotate.store.migrations import migrations


def schema_of(path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()


def test_a_new_database_gets_every_table_and_migration(tmp_path):
    with Store(tmp_path / "new.db") as store:
        assert {"records", "rounds", "annotators", "ingests"} <= set(store.db.table_names())
        applied, latest = store.schema_version()
        assert applied == len(migrations._migrations)
        assert latest == migrations._migrations[-1].name
        assert store.pending_migrations() == []


def test_migrating_twice_changes_nothing(tmp_path):
    path = tmp_path / "twice.db"
    Store(path).close()
    before = schema_of(path)
    with Store(path) as store:
        applied_again = store.schema_version()
        rows = list(store.db.query("SELECT name, applied_at FROM _sqlite_migrations ORDER BY id"))
    with Store(path) as store:
        assert list(store.db.query("SELECT name, applied_at FROM _sqlite_migrations ORDER BY id")) == rows
        assert store.schema_version() == applied_again
    assert schema_of(path) == before


def test_an_existing_database_is_migrated_forward_keeping_its_rows(tmp_path):
    path = tmp_path / "old.db"
    import sqlite_utils

    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="create_records")
    old.execute("INSERT INTO rounds (name, started_at) VALUES ('round-1', '2026-01-01T00:00:00+00:00')")
    old.conn.commit()
    assert "records" not in old.table_names()
    old.close()

    with Store(path) as store:
        assert "records" in store.db.table_names()
        assert store.open_round()["name"] == "round-1"
        assert store.pending_migrations() == []


def test_the_store_turns_on_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    with Store(tmp_path / "pragmas.db", busy_timeout=7) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 7000


def test_foreign_keys_are_enforced(tmp_path):
    with Store(tmp_path / "fk.db") as store, pytest.raises(sqlite3.IntegrityError):
        with store.transaction():
            store.db.execute("INSERT INTO ingests (round_id, source, path, format, started_at) VALUES (99, 's', 'p', 'jsonl', 't')")


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="notes.db: cannot open as a Flywheel database"):
        Store(path)


def test_a_database_in_a_missing_folder_gives_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "nowhere" / "f.db")


def test_a_database_that_stays_locked_raises_store_busy_and_changes_nothing(tmp_path):
    path = tmp_path / "busy.db"
    Store(path).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with Store(path, busy_timeout=0.1) as store:
            with pytest.raises(StoreBusy, match=r"busy\.db: the database stayed busy for 0\.1 s"):
                with store.immediate():
                    store.db["rounds"].insert({"name": "never"})
            with pytest.raises(StoreBusy):
                store.db["rounds"].insert({"name": "never"})
            assert isinstance(StoreBusy("x"), FlywheelError)
    finally:
        writer.rollback()
        writer.close()
    with Store(path) as store:
        assert store.db.execute("SELECT count(*) FROM rounds WHERE name = 'never'").fetchone()[0] == 0


def test_a_busy_database_is_one_clear_message_and_exit_1_on_the_command_line(cli, project, monkeypatch):
    import annotate.store

    monkeypatch.setattr(annotate.store, "BUSY_TIMEOUT_SECONDS", 0.1)
    writer = sqlite3.connect(project.db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        result = cli("round", "start", "busy-round")
    finally:
        writer.rollback()
        writer.close()
    assert result.exit_code == 1
    assert "error:" in result.output and "stayed busy for 0.1 s" in result.output
    assert "Traceback" not in result.output
