"""The Label Studio key is never shown: a canary key is planted everywhere a key can enter (the
LABEL_STUDIO_API_KEY variable, the URL's user-info, a project row an older version stored with
it, a server that echoes the credentials it got in its 401 body) and every `flywheel ls` command
runs against servers that refuse, echo, do not answer or are not there; the canary must appear
in no output, error or log record."""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.errors import LabelStudioError
from annotate.labelstudio.client import LabelStudioClient
from annotate.text.secrets import credentials, redact, redact_url
from tests.conftest import make_tasks
from tests.labelstudio_server import free_port

CANARY = "c4nary0Secret0Key0"
PASSWORD = CANARY + "/@:x"  # needs percent-encoding in a URL, and ends up decoded in a Basic header
COMMANDS = [("push",), ("pull",), ("sync", "--every", "1", "--rounds", "1"), ("status",), ("config", "correction")]


class _Echo(BaseHTTPRequestHandler):
    """Answers everything with `status` and the credentials it was sent, decoded, in a JSON body."""

    status = 401

    def _answer(self) -> None:
        sent = self.headers.get("Authorization", "")
        scheme, _, value = sent.partition(" ")
        decoded = base64.b64decode(value).decode(errors="replace") if scheme == "Basic" else value
        body = json.dumps({"detail": f"Invalid credentials {sent!r} ({decoded}) for {self.path}"}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

    def log_message(self, *args) -> None:  # keep the test's stderr quiet
        pass


class _EchoOk(_Echo):
    """The same, as HTTP 200: a reply that is not Label Studio's API (the SDK cannot parse it)."""

    status = 200


@pytest.fixture(scope="module")
def echo_servers():
    servers = {name: ThreadingHTTPServer(("127.0.0.1", 0), handler) for name, handler in (("echo", _Echo), ("echo-200", _EchoOk))}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {name: f"127.0.0.1:{server.server_address[1]}" for name, server in servers.items()}
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def silent_server():
    """Takes connections and never answers (a timeout)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"127.0.0.1:{listener.getsockname()[1]}"


def _url(host: str, where: str) -> str:
    userinfo = {"key": "", "url-password": f"flywheel:{quote(PASSWORD, safe='')}@", "url-user": f"{CANARY}@"}[where]
    return f"http://{userinfo}{host}"


def _forbidden(where: str) -> list[str]:
    """The canary, and the Basic credentials the URL's user-info turns into."""
    basic = {"url-password": f"flywheel:{PASSWORD}", "url-user": f"{CANARY}:"}.get(where)
    return [CANARY] + ([base64.b64encode(basic.encode()).decode()] if basic else [])


def _run_every_command(project, caplog, forbidden: list[str]) -> list[str]:
    """Run each `flywheel ls` command; returns what it showed, one text per command."""
    runner = CliRunner()
    shown = []
    for command in COMMANDS:
        caplog.clear()
        result = runner.invoke(app, ["--project", str(project.root), "--quiet", "ls", *command], env={"COLUMNS": "200"})
        crash = "" if isinstance(result.exception, SystemExit | None) else "".join(traceback.format_exception(result.exception))
        text = "\n".join([result.stdout, result.stderr, caplog.text, crash,
                          *(str(record.args) for record in caplog.records)])  # fmt: skip
        for secret in forbidden:
            assert secret not in text.replace("\n", ""), f"`flywheel ls {command[0]}` showed it:\n{text}"
        assert not crash, crash
        shown.append(text)
    return shown


def _every_way_in(project, store, caplog, url: str, forbidden: list[str]) -> list[str]:
    """With no project yet, with a project row an older version stored with the URL as given, and
    with one pushed to another server whose URL carried the key."""
    make_tasks(store, 1, route="labelstudio")
    shown = _run_every_command(project, caplog, forbidden)
    row = store.insert_ls_project({"server_url": url, "ls_project_id": 1, "kind": "correction",
                                   "round_id": store.open_round()["id"], "title": "t", "label_config_hash": "h",
                                   "created_at": "2026-01-01T00:00:00Z"})  # fmt: skip
    shown += _run_every_command(project, caplog, forbidden)
    store.db.execute("UPDATE ls_projects SET server_url = ? WHERE id = ?", [f"https://ops:{CANARY}@elsewhere.test:8443", row["id"]])
    return shown + _run_every_command(project, caplog, forbidden)


@pytest.mark.parametrize(("server", "where"), [
    *(("echo", where) for where in ("key", "url-password", "url-user")), ("echo-200", "key"), ("echo-200", "url-password"),
    ("silent", "url-password"), pytest.param("refused", "url-user", marks=pytest.mark.slow),  # the SDK retries a refused connection
])  # fmt: skip
def test_no_command_shows_the_key_whatever_the_server_answers(project, store, caplog, monkeypatch, echo_servers,
                                                              silent_server, server, where):  # fmt: skip
    caplog.set_level(logging.DEBUG)
    host = {**echo_servers, "refused": f"127.0.0.1:{free_port()}", "silent": silent_server}[server]
    monkeypatch.setenv("LABEL_STUDIO_URL", _url(host, where))
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", CANARY)
    monkeypatch.setenv("FLYWHEEL_LS_TIMEOUT", "0.3")
    shown = "\n".join(_every_way_in(project, store, caplog, _url(host, where), _forbidden(where)))
    expected = {"echo": "HTTP 401", "echo-200": "not Label Studio's API", "refused": "cannot reach Label Studio",
                "silent": "did not answer within 0.3 s"}[server]  # fmt: skip
    assert expected in shown and f"http://{host}" in shown  # the server is still named, without the key
    assert "elsewhere.test:8443" in shown  # and so is the other server


@pytest.mark.parametrize("where", ["key", "url-password"])
def test_a_real_label_studio_refusing_the_key_does_not_show_it(project, store, caplog, monkeypatch, labelstudio, where):
    caplog.set_level(logging.DEBUG)
    url = _url(labelstudio.url.removeprefix("http://"), where)
    monkeypatch.setenv("LABEL_STUDIO_URL", url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", CANARY)
    shown = "\n".join(_every_way_in(project, store, caplog, url, _forbidden(where)))
    assert "HTTP 401" in shown and labelstudio.url in shown


def test_the_client_shows_and_stores_the_url_without_its_user_info():
    assert LabelStudioClient(f"http://flywheel:{CANARY}@127.0.0.1:1/", CANARY).url == "http://127.0.0.1:1"
    with pytest.raises(LabelStudioError) as raised:  # a key written unencoded: the URL cannot be read
        LabelStudioClient(f"http://flywheel:{CANARY}/x@127.0.0.1:1", CANARY)
    assert CANARY not in str(raised.value) and "percent-encoded" in str(raised.value)


def test_redact_url_drops_the_user_info_of_every_url_in_a_text():
    assert redact_url("http://u:p%40ss@host:8080/api?x=a@b") == "http://host:8080/api?x=a@b"
    assert redact_url("see https://key@h/ and ftp://a:b@c, mail me@here") == "see https://h/ and ftp://c, mail me@here"
    assert redact_url("http://host/path") == "http://host/path"


def test_redact_removes_each_form_of_the_configured_credentials_and_any_token():
    secrets = credentials("http://user:p%2Fw0rd0secret@host", "k3y0k3y0k3y0")
    assert {"p/w0rd0secret", "p%2Fw0rd0secret", base64.b64encode(b"user:p/w0rd0secret").decode()} <= set(secrets)
    text = redact("bad key k3y0k3y0k3y0, p/w0rd0secret; got 'Bearer abcdefghijklmnop0123' at http://user:x@host", secrets)
    assert "k3y0" not in text and "w0rd" not in text and "abcdefghijkl" not in text and "user:x" not in text
    assert text == "bad key ***, ***; got 'Bearer ***' at http://host"
    assert redact("use a personal access token (Account & Settings)", secrets) == "use a personal access token (Account & Settings)"
