"""`flywheel app`: start the Streamlit review app on this project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

import annotate
from annotate.errors import ProjectError


def register(app: typer.Typer) -> None:
    app.command("app")(serve)


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8501, "--port", help="Port to listen on."),
) -> None:
    """Start the review app (streamlit run review_app.py) on this project."""
    project = ctx.obj.project()
    project.config  # fail here, clearly, rather than inside the app
    script = Path(annotate.__file__).resolve().parent.parent / "review_app.py"
    if not script.is_file():
        raise ProjectError(f"{script} not found: run `flywheel app` from a checkout of the repository")
    env = dict(os.environ, FLYWHEEL_PROJECT=str(project.root), FLYWHEEL_DB=str(project.db_path))
    command = [
        sys.executable, "-m", "streamlit", "run", str(script), "--server.address", host, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    raise typer.Exit(subprocess.call(command, env=env))
