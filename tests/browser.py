"""Real-browser plumbing for the end-to-end tests (`tests/test_browser.py`).

`ReviewServer` runs the review app with `streamlit run review_app.py` on a free loopback port
against a given project; `launch_chromium` starts Debian's Chromium (`make browser` installs it)
through Playwright; the page helpers know how Streamlit renders: asynchronously, over a
websocket, inside a scrolling `stMain` container rather than the document.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from annotate.project import Project

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = "Chromium is not installed: run `make browser` (apt-get install chromium)"
# Every browser test module's marks: `pytestmark = BROWSER_TEST`.
BROWSER_TEST = [pytest.mark.browser, pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING)]
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
VIEWPORT = {"width": 1400, "height": 900}
# Screenshots go to build/screenshots (ignored by git) unless FLYWHEEL_SCREENSHOTS names a folder:
# `make screenshots` points it at docs/screenshots to refresh the README's pictures.
SCREENSHOTS = Path(os.environ.get("FLYWHEEL_SCREENSHOTS") or REPO / "build" / "screenshots")


def as_shown(text: str) -> str:
    """`text` as a page shows it once escaped (annotate.ui.text.escape_markdown): an invisible word
    joiner (U+2060) after each email address's @, so no address becomes a mailto: link."""
    return re.sub(r"(?<=[-.\w+]@)(?=[-\w])", "\u2060", text)


def free_port() -> int:
    """A port nothing listens on right now (on 127.0.0.1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ReviewServer:
    """`streamlit run review_app.py` on 127.0.0.1 for one project; a context manager."""

    def __init__(self, project: Project, log_path: Path, *, startup_timeout: float = 60.0, script: str = "review_app.py"):
        self.project = project
        self.script = script  # "review_server.py": as `flywheel app` serves it, with the session-cookie routes
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> ReviewServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        env = dict(os.environ, FLYWHEEL_PROJECT=str(self.project.root), FLYWHEEL_DB=str(self.project.db_path))
        env["PYTHONUNBUFFERED"] = "1"
        # An empty secrets file of its own: a developer's `.streamlit/secrets.toml` with `[auth]`
        # would turn the sign-in form into single sign-on.
        secrets = self.log_path.with_name("secrets.toml")
        secrets.write_text("", encoding="utf-8")
        command = [
            sys.executable, "-m", "streamlit", "run", str(REPO / self.script),
            "--server.address", "127.0.0.1", "--server.port", str(self.port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", "--server.runOnSave", "false",
            "--secrets.files", str(secrets),
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the review app exited with code {self.process.returncode} at start:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"the review app did not answer {self.url}/_stcore/health within {self.startup_timeout:g} s:\n{self.log()}"
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self, tail: int = 6000) -> str:
        """The end of the server's combined stdout and stderr."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-tail:]
        except OSError:
            return "(no server log)"


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def settle(page, timeout: float = 20_000) -> None:
    """Wait until the app is connected and its script is not running (call after waiting for the text
    a rerun brings, so the wait cannot end before that rerun has started)."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]',
        state="attached", timeout=timeout,
    )  # fmt: skip
    try:  # the app's own requests (the hotkeys frame, the session route) may keep the network busy a while
        page.wait_for_load_state("networkidle", timeout=min(timeout, 5_000))
    except PlaywrightTimeout:
        pass  # the script state above is the signal that matters
    page.wait_for_timeout(300)  # widgets finish drawing (fonts, selectboxes) a moment after the script ends


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the Streamlit select or multiselect labelled `label`, as a person does."""
    box, choice = page.get_by_role("combobox", name=label), page.get_by_role("option", name=option, exact=True)
    for _ in range(3):  # a rerun that lands as the list opens closes it again: open it once more
        box.click()
        try:
            choice.wait_for(timeout=3_000)
            break
        except PlaywrightTimeout:
            settle(page)
    choice.click()
    if box.get_attribute("aria-expanded") == "true":  # a multiselect stays open for more (Escape on a select undoes it)
        page.keyboard.press("Escape")


def sign_in(page, base_url: str, email: str, password: str, path: str | None = "/") -> None:
    """Open the app at `path` (None: stay on the page as it is) and submit the sign-in form; does
    not wait for what comes next."""
    if path is not None:
        page.goto(base_url + path)
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def screenshot(page, path: Path) -> None:
    """A full-page PNG of a Streamlit page.

    The document never scrolls in Streamlit (the `stMain` container does), so Playwright's
    `full_page` alone would cut the page at the viewport: the viewport is stretched to the
    content's height for the shot, then put back.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stSidebarContent]')]"
        ".map(element => element.scrollHeight), window.innerHeight)"
    )
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": int(height)})
    try:
        page.wait_for_timeout(400)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
