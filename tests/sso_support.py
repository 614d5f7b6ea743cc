"""Helpers for the single-sign-on browser test: a local OpenID provider, the app, and Chromium.

Everything binds to 127.0.0.1; the browser refuses every request that is not to the loopback
address (the mock provider's pages link a stylesheet from a CDN, which is simply dropped).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _request(method: str, url: str, body: dict | None = None, timeout: float = 5.0) -> int:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    with opener.open(request, timeout=timeout) as response:
        return response.status


@contextmanager
def oidc_provider(users: dict[str, dict]) -> Iterator[str]:
    """A mock OpenID Connect provider on a free loopback port, with `users` (sub -> claims) registered
    through its `PUT /users/{sub}` endpoint; yields its base URL and stops it afterwards."""
    import oidc_provider_mock
    import werkzeug.serving

    # `run_server_in_thread` binds "localhost" (which may resolve to ::1); build the same WSGI app
    # with the public `oidc_provider_mock.app()` and serve it on 127.0.0.1 explicitly.
    server = werkzeug.serving.make_server(LOOPBACK, 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    base = f"http://{LOOPBACK}:{server.server_port}"
    try:
        for sub, claims in users.items():
            status = _request("PUT", f"{base}/users/{sub}", claims)
            assert status == 204, f"mock provider refused user {sub}: HTTP {status}"
        yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def write_auth_secrets(workdir: Path, *, app_port: int, provider: str) -> Path:
    """`.streamlit/secrets.toml` with an `[auth]` section for the default provider (st.login())."""
    folder = workdir / ".streamlit"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://{LOOPBACK}:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{os.urandom(24).hex()}"\n'
        'client_id = "flywheel-review-test"\n'
        'client_secret = "not-a-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    return path


@contextmanager
def streamlit_app(script: Path, *, workdir: Path, port: int, env: dict[str, str]) -> Iterator[str]:
    """`streamlit run script` from `workdir` on 127.0.0.1:port; yields the base URL once
    `/_stcore/health` answers, and stops the process (its own process group) afterwards."""
    home = workdir / "home"  # so no ~/.streamlit config or secrets of the user's leak in
    home.mkdir(exist_ok=True)
    full_env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
    full_env.update(HOME=str(home), NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", **env)
    log_path = workdir / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.address", LOOPBACK, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=workdir, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    base = f"http://{LOOPBACK}:{port}"
    try:
        _wait_healthy(f"{base}/_stcore/health", process, log_path)
        yield base
    finally:
        _stop(process)


def _wait_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log_tail(log_path)}")
        try:
            if _request("GET", url, timeout=2) == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit not healthy at {url} after {STARTUP_TIMEOUT_S:.0f} s:\n{log_tail(log_path)}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the process we started (and its children: its own session's group, by its id)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextmanager
def chromium() -> Iterator[object]:
    """Headless system Chromium through Playwright; yields the Browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


def loopback_only(context, blocked: list[str]) -> None:
    """Abort every request of `context` that is not to 127.0.0.1/localhost, noting its URL."""

    def handle(route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in (LOOPBACK, "localhost") or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", handle)
