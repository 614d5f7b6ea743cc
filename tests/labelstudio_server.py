"""A real Label Studio server for the integration tests and the benchmark.

`make labelstudio` installs the server in its own virtual environment (`.venv-ls`): its tight
pins (Django, openai<2, pyarrow) would hold the project's own dependencies back. The first start
on an empty data folder runs about a minute of migrations, so a migrated data folder is kept as
a template (`build/labelstudio-template`) and each server starts on a copy of it in seconds.

The server listens on a free loopback port, keeps its data in a temporary folder, never calls
out (no version check, no signup without an invite) and is stopped by its PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LS_BIN = REPO / ".venv-ls" / "bin" / "label-studio"
TEMPLATE = REPO / "build" / "labelstudio-template"
ADMIN_EMAIL = "admin@flywheel.test"
ADMIN_PASSWORD = "flywheel-admin-password"
ADMIN_TOKEN = "flywheel0test0legacy0token0abcdef0123456"  # the admin's legacy API token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LabelStudioServer:
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> LabelStudioServer:
        if not LS_BIN.exists():
            raise RuntimeError(f"{LS_BIN} is missing: run `make labelstudio` first")
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"
        env = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "USERNAME", "PASSWORD", "USER_TOKEN")}
        env.update(
            LABEL_STUDIO_BASE_DATA_DIR=str(self.data_dir),
            LABEL_STUDIO_USERNAME=ADMIN_EMAIL,
            LABEL_STUDIO_PASSWORD=ADMIN_PASSWORD,
            LABEL_STUDIO_USER_TOKEN=ADMIN_TOKEN,
            LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
            LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true",
            LATEST_VERSION_CHECK="false",
            COLLECT_ANALYTICS="false",
            SENTRY_DSN="",
            FRONTEND_SENTRY_DSN="",
        )
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(LS_BIN), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(self.port),
                 "--data-dir", str(self.data_dir)],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Label Studio exited with {self.process.returncode}; see {self.log_path}")
            if self.ready():
                return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"Label Studio did not answer within {timeout:.0f} s; see {self.log_path}")

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as reply:
                return reply.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        """Stop the server and everything it started (its process group), by PID."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def migrated_template() -> Path:
    """The migrated data folder to copy, made once (about a minute) and then reused."""
    if (TEMPLATE / ".ready").exists():
        return TEMPLATE
    building = TEMPLATE.with_name(TEMPLATE.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    server = LabelStudioServer(building / "data")
    try:
        server.start(timeout=300)
    finally:
        server.stop()
    shutil.rmtree(TEMPLATE, ignore_errors=True)
    building.rename(TEMPLATE)
    (TEMPLATE / ".ready").touch()
    return TEMPLATE


def start_server(workdir: Path) -> LabelStudioServer:
    """A server on a fresh copy of the migrated template, in `workdir`."""
    template = migrated_template()
    data_dir = workdir / "labelstudio-data"
    shutil.copytree(template / "data", data_dir)
    return LabelStudioServer(data_dir).start()


def sign_up(server_url: str, email: str, password: str) -> str:
    """Create a user the way a person joins: the admin's invite link, then the signup form.
    Returns the new user's legacy API token, so tests can annotate as that person."""
    import requests

    admin = {"Authorization": f"Token {ADMIN_TOKEN}"}
    invite = requests.get(f"{server_url}/api/invite", headers=admin, timeout=30)
    invite.raise_for_status()
    signup_url = f"{server_url}/user/signup/?token={invite.json()['token']}"
    browser = requests.Session()
    browser.get(signup_url, timeout=30).raise_for_status()
    form = {"email": email, "password": password, "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            "allow_newsletters": "false"}  # fmt: skip
    reply = browser.post(signup_url, data=form, headers={"Referer": signup_url}, allow_redirects=False, timeout=30)
    if reply.status_code != 302:
        raise RuntimeError(f"signing up {email} failed: HTTP {reply.status_code}")
    token = browser.get(f"{server_url}/api/current-user/token", timeout=30)
    token.raise_for_status()
    return token.json()["token"]
