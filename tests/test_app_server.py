"""`flywheel app`: the command line it builds, and stopping it stops the Streamlit server it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
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


def wait_until_serving(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered on port {port} within {timeout:g} s")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_sigterm_to_flywheel_app_stops_its_streamlit_child_and_exits_with_its_status(project, tmp_path):
    log, port = (tmp_path / "app.log").open("wb"), free_port()
    parent = subprocess.Popen(
        [sys.executable, "-m", "annotate", "--project", str(project.root), "app", "--port", str(port)],
        cwd=REPO, env=dict(os.environ, PYTHONUNBUFFERED="1"), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (child := children_of(parent.pid)) and time.monotonic() < deadline:
            assert parent.poll() is None, (tmp_path / "app.log").read_text()
            time.sleep(0.1)
        assert child, "flywheel app started no child process"
        wait_until_serving(port)
        parent.send_signal(signal.SIGTERM)
        status = parent.wait(timeout=15)
        deadline = time.monotonic() + 5
        while alive(child[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(child[0]), "the Streamlit child outlived `flywheel app`"
        # The child's own status, passed on: uvicorn re-raises the SIGTERM it handled, so 128 + 15.
        # (Had `flywheel app` itself died of the signal, its status would read -15.)
        assert status in (0, 128 + signal.SIGTERM), (status, (tmp_path / "app.log").read_text())
    finally:
        for pid in children_of(parent.pid):
            os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            parent.kill()
        log.close()
