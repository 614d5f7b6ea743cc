"""`flywheel app`: the command line it builds, and stopping it stops the Streamlit server it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotate.cli.app_server import streamlit_command
from tests.browser import REPO, free_port

SCRIPT = Path("review_app.py")


def option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def test_the_served_app_does_not_watch_its_source_files():
    command = streamlit_command(SCRIPT, host="127.0.0.1", port=8501)
    assert option(command, "--server.fileWatcherType") == "none"
    assert option(command, "--server.runOnSave") == "false"


def test_dev_mode_keeps_streamlits_file_watcher():
    command = streamlit_command(SCRIPT, host="127.0.0.1", port=8501, dev=True)
    assert "--server.fileWatcherType" not in command
    assert "--server.runOnSave" not in command
    assert option(command, "--server.port") == "8501"


def children_of(pid: int) -> list[int]:
    """The live child processes of `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_sigterm_to_flywheel_app_stops_its_streamlit_child_and_exits_with_its_status(project, tmp_path):
    log = (tmp_path / "app.log").open("wb")
    parent = subprocess.Popen(
        [sys.executable, "-m", "annotate", "--project", str(project.root), "app", "--port", str(free_port())],
        cwd=REPO, env=dict(os.environ, PYTHONUNBUFFERED="1"), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (child := children_of(parent.pid)) and time.monotonic() < deadline:
            assert parent.poll() is None, (tmp_path / "app.log").read_text()
            time.sleep(0.1)
        assert child, "flywheel app started no child process"
        time.sleep(1.0)  # let Streamlit install its own signal handlers
        parent.send_signal(signal.SIGTERM)
        status = parent.wait(timeout=15)
        deadline = time.monotonic() + 5
        while alive(child[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(child[0]), "the Streamlit child outlived `flywheel app`"
        assert status == 0, (tmp_path / "app.log").read_text()
    finally:
        for pid in children_of(parent.pid):
            os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            parent.kill()
        log.close()
