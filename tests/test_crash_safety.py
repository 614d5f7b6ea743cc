"""Crash safety to the last step: `flywheel ingest` and `flywheel export` killed (SIGKILL, as
`kill -9`) at every step boundary (`annotate.crash_points`), then run again: an ingest that died
is marked as such and resumed without losing or doubling a line; an export leaves its folder and
its registry row both or neither; concurrent exports of one name run one after the other."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from annotate.crash_points import ENVIRONMENT
from annotate.review.annotators import add_annotator
from annotate.review.claims import submit
from tests.conftest import make_tasks

pytestmark = pytest.mark.slow
EXPERT = "ana@example.com"


def _flywheel(project, *args: str, crash_at: str | None = None, wait: bool = True):
    env = {**os.environ, "COLUMNS": "200", **({ENVIRONMENT: crash_at} if crash_at else {})}
    command = [sys.executable, "-m", "annotate", "--project", str(project.root), "--quiet", *args]
    if not wait:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def _logs(path: Path, n: int) -> Path:
    path.write_text("".join(json.dumps({"id": f"r{i}", "messages": [{"role": "user", "content": f"How do I do thing {i}?"}],
                                        "response": f"Answer {i}."}) + "\n" for i in range(n)))  # fmt: skip
    return path


@pytest.mark.parametrize("step", ["ingest:started", "ingest:batch-committed"])
def test_an_ingest_killed_at_each_step_is_marked_and_resumed_without_loss_or_duplicates(project, tmp_path, step):
    project.config_path.write_text(project.config_path.read_text().replace("batch_size = 20000", "batch_size = 50"))
    logs = _logs(tmp_path / "logs.jsonl", 120)
    killed = _flywheel(project, "ingest", str(logs), crash_at=step)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    with project.open_store() as store:
        (run,) = store.recent_ingests()
        assert run["status"] == "running" and run["pid"] and run["host"]
    again = _flywheel(project, "ingest", str(logs))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "interrupted" in again.stderr and "Traceback" not in again.stdout + again.stderr
    with project.open_store() as store:
        newest, first = store.recent_ingests()
        assert first["status"] == "failed" and first["note"].startswith("interrupted") and first["finished_at"]
        assert newest["status"] == "done"
        assert store.db["records"].count == 120  # every line once
        assert newest["n_ingested"] + newest["n_present"] == 120 and newest["n_present"] == first["n_ingested"]


def test_a_running_ingest_of_a_live_process_is_left_alone(project):
    import socket

    from annotate.ingest import mark_dead_ingests

    with project.open_store() as store:
        round_id = store.open_round()["id"]
        live = store.start_ingest(round_id=round_id, source="s", path="a.jsonl", fmt="jsonl", host=socket.gethostname(), pid=os.getpid())
        other_host = store.start_ingest(round_id=round_id, source="s", path="b.jsonl", fmt="jsonl", host="elsewhere", pid=1)
        assert mark_dead_ingests(store) == []
        assert {store.ingest(i)["status"] for i in (live, other_host)} == {"running"}


def _decided_project(project, n: int = 12) -> None:
    with project.open_store() as store:
        add_annotator(store, EXPERT)
        for number, task in enumerate(make_tasks(store, n)):
            submit(store, task, EXPERT, {"kind": "correction", "verdict": "corrected", "failure_categories": ["incomplete"], "severity": "minor", 
                                         "corrected_response": f"Open Settings > Thing {number} and press Save."})  # fmt: skip


def _consistent(project) -> list[int]:
    """Every snapshot folder has its registry row and every row its folder; no staging left. The versions."""
    root = project.root / "exports" / "support-sft"
    with project.open_store() as store:
        registered = {row.version: row.path for row in store.datasets("support-sft")}
    folders = {int(path.name[1:]) for path in root.glob("v*") if path.is_dir()}
    assert folders == set(registered), (folders, registered)
    assert not [path.name for path in root.glob(".v*")]
    assert all((project.root / path / "manifest.json").is_file() for path in registered.values())
    return sorted(folders)


@pytest.mark.parametrize("step", ["export:files-written", "export:staged", "export:renamed", "export:registered"])
def test_an_export_killed_at_each_step_leaves_its_folder_and_registry_row_both_or_neither(project, step):
    _decided_project(project)
    killed = _flywheel(project, "export", "--kind", "sft", "--name", "support-sft", crash_at=step)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    listed = _flywheel(project, "export", "list")
    assert listed.returncode == 0 and "Traceback" not in listed.stdout + listed.stderr
    expected = [] if step in ("export:files-written", "export:staged") else [1]
    assert _consistent(project) == expected
    if step == "export:renamed":
        assert "registered exports/support-sft/v1" in listed.stdout
    if step in ("export:files-written", "export:staged"):
        assert "removed exports/support-sft/.v1-" in listed.stdout
    again = _flywheel(project, "export", "--kind", "sft", "--name", "support-sft")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _consistent(project) == expected + [len(expected) + 1]  # the next number, none skipped


def test_an_export_killed_before_registering_is_finished_by_the_next_export(project):
    _decided_project(project)
    assert _flywheel(project, "export", "--kind", "sft", "--name", "support-sft", crash_at="export:renamed").returncode == -signal.SIGKILL
    again = _flywheel(project, "export", "--kind", "sft", "--name", "support-sft")  # no list in between
    assert again.returncode == 0, again.stdout + again.stderr
    assert _consistent(project) == [1, 2]


def test_concurrent_exports_of_one_name_run_one_after_the_other(project):
    _decided_project(project)
    runs = [_flywheel(project, "export", "--kind", "sft", "--name", "support-sft", wait=False) for _ in range(3)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert not any("Traceback" in output for output in outputs)
    assert _consistent(project) == [1, 2, 3]


def test_an_ingest_killed_while_workers_check_its_lines_resumes_without_loss_or_duplicates(project, tmp_path):
    config = project.config_path.read_text().replace("batch_size = 20000", "batch_size = 1000")
    project.config_path.write_text(config.replace("workers = 0", "workers = 2"))
    logs = _logs(tmp_path / "logs.jsonl", 9_000)  # more than two blocks: the worker pool is running
    killed = _flywheel(project, "ingest", str(logs), crash_at="ingest:batch-committed")
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    again = _flywheel(project, "ingest", str(logs))
    assert again.returncode == 0 and "interrupted" in again.stderr, again.stdout + again.stderr
    with project.open_store() as store:
        newest, first = store.recent_ingests()
        assert store.db["records"].count == 9_000  # every line once
        assert first["n_ingested"] == 1_000 and newest["n_present"] == 1_000 and newest["n_ingested"] == 8_000
