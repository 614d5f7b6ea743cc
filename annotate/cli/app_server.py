"""`flywheel app`: start the Streamlit review app on this project.

Contract:
- Streamlit runs as a child process in its own process group. SIGTERM, SIGINT and SIGHUP sent to
  `flywheel app` are forwarded to it, and `flywheel app` exits with the child's status (128 + the
  signal number when the child was killed by one), so a service manager that stops
  `flywheel app` stops the server too.
- Outside development the file watcher and run-on-save are off (`--server.fileWatcherType none`,
  `--server.runOnSave false`): a served app has no reason to watch its source, and the watcher
  floods the log ("Inotify queue overflowed") on a busy machine. `--dev` keeps Streamlit's
  defaults: reruns when a source file changes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import typer

import annotate
from annotate.errors import ProjectError

FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
SERVER_SCRIPT = "review_server.py"  # st.App around review_app.py, with the session-cookie routes


def register(app: typer.Typer) -> None:
    app.command("app")(serve)


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8501, "--port", help="Port to listen on."),
    dev: bool = typer.Option(False, "--dev", help="Development: rerun the app when a source file changes."),
) -> None:
    """Start the review app (streamlit run review_server.py) on this project."""
    project = ctx.obj.project()
    project.config  # fail here, clearly, rather than inside the app
    script = Path(annotate.__file__).resolve().parent.parent / SERVER_SCRIPT
    if not script.is_file():
        raise ProjectError(f"{script} not found: run `flywheel app` from a checkout of the repository")
    env = dict(os.environ, FLYWHEEL_PROJECT=str(project.root), FLYWHEEL_DB=str(project.db_path))
    raise typer.Exit(run_forwarding_signals(streamlit_command(script, host=host, port=port, dev=dev), env=env))


def streamlit_command(script: Path, *, host: str, port: int, dev: bool = False) -> list[str]:
    """The `streamlit run` command line for the review app."""
    command = [
        sys.executable, "-m", "streamlit", "run", str(script), "--server.address", host, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    if not dev:
        command += ["--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    return command


def run_forwarding_signals(command: list[str], *, env: dict[str, str]) -> int:
    """Run `command`, forwarding the stop signals to it; its exit status (128 + N if killed by signal N)."""
    child = subprocess.Popen(command, env=env, process_group=0)  # Ctrl-C reaches it once: through us

    def forward(signum, _frame) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in FORWARDED_SIGNALS}
    try:
        status = child.wait()  # resumed after each forwarded signal (PEP 475) until the child ends
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - status if status < 0 else status
