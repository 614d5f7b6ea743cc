"""Ingest is idempotent and crash-safe: re-runs add nothing, a killed run is completed by a re-run."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from annotate.ingest import ingest_files
from tests.conftest import record


def test_reingesting_the_same_file_adds_nothing(store, write_jsonl):
    path = write_jsonl([record(id=f"c-{n}", prompt=f"question {n}") for n in range(50)])
    first = ingest_files(store, [path])
    second = ingest_files(store, [path])
    assert (first.total("ingested"), first.total("present")) == (50, 0)
    assert (second.total("ingested"), second.total("present")) == (0, 50)
    assert store.record_count() == 50


def test_repeats_inside_one_file_are_stored_once(store, write_jsonl):
    path = write_jsonl([record(id="same"), record(id="same"), record(), record()])
    summary = ingest_files(store, [path])
    assert (summary.total("read"), summary.total("ingested"), summary.total("present")) == (4, 2, 2)


def test_without_an_external_id_the_content_is_the_identity(store, write_jsonl):
    path = write_jsonl([
        record(created_at="2026-10-01T10:00:00Z"),
        record(created_at="2026-10-01T10:00:00Z"),
        record(created_at="2026-10-02T10:00:00Z"),
        record(created_at="2026-10-01T10:00:00Z", model="other@1"),
    ])  # fmt: skip
    assert ingest_files(store, [path]).total("ingested") == 3


def test_the_same_external_id_from_two_sources_is_two_records(store, write_jsonl):
    path = write_jsonl([record(id="c-1")])
    ingest_files(store, [path], source="web")
    ingest_files(store, [path], source="mobile")
    assert store.record_count() == 2


def test_records_belong_to_the_round_that_is_open(store, write_jsonl):
    from annotate.project import start_round

    ingest_files(store, [write_jsonl([record(id="a")], name="a.jsonl")])
    second = start_round(store, "october", model="m@2")
    ingest_files(store, [write_jsonl([record(id="b")], name="b.jsonl")])
    rounds = dict(store.db.execute("SELECT external_id, round_id FROM records").fetchall())
    assert rounds == {"a": 1, "b": second["id"]}


@pytest.mark.slow
def test_a_run_killed_partway_leaves_a_consistent_store_that_a_rerun_completes(project, write_jsonl):
    total, batch = 60_000, 500
    config = project.config_path.read_text().replace("batch_size = 20000", f"batch_size = {batch}")
    assert f"batch_size = {batch}" in config
    project.config_path.write_text(config)
    path = write_jsonl([record(id=f"c-{n}", prompt=f"question {n}") for n in range(total)])
    command = [sys.executable, "-m", "annotate", "--project", str(project.root), "--quiet", "ingest", str(path)]

    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    committed = _wait_for_rows(project.db_path, process)
    process.send_signal(signal.SIGKILL)
    process.wait()

    with sqlite3.connect(project.db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
        progress = conn.execute("SELECT n_ingested, status FROM ingests").fetchone()
    assert committed <= count < total, "the kill came too late to test anything"
    assert count % batch == 0, "a batch was half written"
    assert progress == (count, "running"), "records and the ingest's progress disagree"

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    with sqlite3.connect(project.db_path) as conn:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT external_id) FROM records").fetchone() == (total, total)
        assert conn.execute("SELECT n_ingested, n_present FROM ingests ORDER BY id DESC").fetchone() == (total - count, count)


def _wait_for_rows(db_path, process, timeout: float = 60.0) -> int:
    """Poll (read-only, WAL lets us) until the ingest has committed some rows but not all."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the ingest finished before it could be killed"
        if os.path.exists(db_path):
            try:
                with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
                    count = conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
                if count:
                    return count
            except sqlite3.OperationalError:
                pass
        time.sleep(0.005)
    raise AssertionError("no rows were committed in time")
