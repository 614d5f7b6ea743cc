"""Shared fixtures: a real project folder with a real SQLite file, and helpers to write inputs."""

from __future__ import annotations

import gzip
import json
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.project import Project, init_project
from annotate.review.annotators import add_annotator
from annotate.review.claims import submit
from annotate.store import Store
from tests.labelstudio_server import LabelStudioServer, start_server

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _pytests_own_main_module():
    """Streamlit's AppTest runs a page script as `__main__` and can leave that module behind; a
    process spawned later (multiprocessing's spawn re-imports `__main__` by its path) would then
    run the page instead of its target. Every test ends with pytest's own `__main__` back."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default tiny model, built once per session (shared by every test that needs a model)."""
    import torch

    torch.set_num_threads(1)
    folder = tmp_path_factory.getbasetemp() / "tiny-model"
    if not (folder / "config.json").is_file():
        from train.tiny_model import build_tiny_model

        build_tiny_model(folder)
    return folder


@pytest.fixture(scope="session")
def labelstudio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelStudioServer]:
    """A real Label Studio server for the whole session (started from a migrated template, stopped by PID)."""
    server = start_server(tmp_path_factory.mktemp("labelstudio"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return init_project(tmp_path / "project", name="test project")


@pytest.fixture
def store(project: Project) -> Iterator[Store]:
    with project.open_store() as opened:
        yield opened


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    """Write rows (dicts are dumped as JSON, str and bytes lines as they are) to a JSONL file."""

    def write(rows: list[dict | str | bytes], name: str = "logs.jsonl") -> Path:
        path = tmp_path / name
        lines = []
        for row in rows:
            if isinstance(row, dict):
                row = json.dumps(row)
            lines.append(row if isinstance(row, bytes) else row.encode("utf-8"))
        data = b"\n".join(lines) + b"\n"
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        return path

    return write


@pytest.fixture
def cli(project: Project) -> Callable[..., object]:
    """Run `flywheel --project PROJECT ARGS...` in-process; returns click's Result."""
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, ["--project", str(project.root), "--quiet", *args], env={"COLUMNS": "200"}, catch_exceptions=False)

    return run


def record(prompt: str = "How do I export invoices?", response: str = "Go to Reports > Export.", **fields) -> dict:
    """A valid record in Flywheel's format, with any field overridden."""
    return {"messages": [{"role": "user", "content": prompt}], "response": response, **fields}


def make_tasks(store, n: int, *, required: int = 1, kind: str = "correction", route: str = "app",
               gold_answer: str | None = None, texts: Callable[[int], tuple[str, str]] | None = None) -> list[int]:  # fmt: skip
    """n tasks of `kind` with `required` slots each, on fresh records, highest priority first; returns ids.
    `texts(number)` gives record `number`'s (prompt, response) (default "question N", "answer N")."""
    texts = texts or (lambda number: (f"question {number}", f"answer {number}"))
    from annotate.ingest.rows import to_row
    from annotate.records import RecordIn

    round_id = store.open_round()["id"]
    first = store.db["records"].count  # so a second call makes new records
    per_task = 2 if kind == "preference" else 1
    rows = [
        to_row(RecordIn(id=f"{kind}-{first + number}", messages=[{"role": "user", "content": texts(number)[0]}],
                        response=texts(number)[1]), source="test", round_id=round_id, ingest_id=None)
        for number in range(n * per_task)
    ]  # fmt: skip
    with store.transaction():
        store.insert_new_records(rows)
    ids = [row[0] for row in rows]
    tasks = [
        {
            "kind": kind, "record_id": ids[number * per_task], "record_b_id": ids[number * 2 + 1] if per_task == 2 else None,
            "origin": "test", "priority": float(n - number), "why": "", "cluster": None, "required_annotations": required,
            "is_gold": int(gold_answer is not None), "gold_answer": gold_answer, "route": route, "round_id": round_id,
        }  # fmt: skip
        for number in range(n)
    ]
    return store.insert_tasks(tasks)


def run_page(render_name: str, email: str, role: str = "annotator") -> AppTest:
    """One page function run on its own, with a signed-in user in the session."""

    def script():
        import importlib

        from annotate.ui.state import init_session_state

        init_session_state()
        module, function = NAME.rsplit(".", 1)  # noqa: F821 (prepended to the script below)
        getattr(importlib.import_module(module), function)()  # noqa: F821 (NAME is prepended to the script)

    source = f"NAME = {render_name!r}\n" + _body(script)
    app = AppTest.from_string(source, default_timeout=30)
    return signed_in(app, email, role).run()


def signed_in(app: AppTest, email: str, role: str = "annotator") -> AppTest:
    """Put a signed-in user into an AppTest's session, as the sign-in form would."""
    app.session_state["user"] = {"id": 0, "email": email, "name": None, "role": role, "active": 1}
    app.session_state["last_active"] = time.time()
    return app


def review_app_as(email: str, role: str = "annotator") -> AppTest:
    """The whole review app (router included), run once for a signed-in user."""
    return signed_in(AppTest.from_file(str(REPO / "review_app.py"), default_timeout=30), email, role).run()


def _body(function) -> str:
    import inspect
    import textwrap

    lines = inspect.getsource(function).splitlines()[1:]
    return textwrap.dedent("\n".join(lines))


@pytest.fixture
def env(project, monkeypatch):
    """The project in the environment, as the review app reads it."""
    monkeypatch.setenv("FLYWHEEL_PROJECT", str(project.root))
    monkeypatch.delenv("FLYWHEEL_DB", raising=False)
    return project


EXPERT, OTHER = "ana@x.test", "ben@x.test"


# Decided tasks for the export tests: distinct support questions, one expert's answers.
WORDS = ("invoice VAT bank feed payroll receipt quote report user currency export import tax client supplier "
         "project budget reminder template workspace plan refund discount mileage expense asset journal ledger "
         "audit backup token webhook approval deposit transfer statement balance reconcile category").split()


def _texts(number: int) -> tuple[str, str]:
    """A distinct question and answer per number (no two near duplicates)."""
    rng = random.Random(number)
    question = " ".join(rng.sample(WORDS, 9))
    return f"How do I {question}?", f"Original answer {number}: " + " ".join(rng.sample(WORDS, 8)) + "."


@pytest.fixture
def decided(store, project):
    """40 corrections (a third corrected, the rest accepted; two unusable) and 10 preference judgments, one answer each."""
    add_annotator(store, EXPERT)
    add_annotator(store, OTHER)
    corrections = make_tasks(store, 40, texts=_texts)
    for number, task in enumerate(corrections):
        if number in (5, 6):
            answer = {"kind": "correction", "verdict": "unusable", "rationale": "Needs the billing team."}
        elif number % 3 == 0:
            answer = {"kind": "correction", "verdict": "corrected", "failure_categories": ["incomplete"], "severity": "minor",
                      "corrected_response": f"A complete, corrected answer {number}: open Settings > {number} and follow the steps."}  # fmt: skip
        else:
            answer = {"kind": "correction", "verdict": "acceptable"}
        submit(store, task, EXPERT, answer)
    preferences = make_tasks(store, 10, kind="preference", texts=lambda n: _texts(100 + n))
    for number, task in enumerate(preferences):
        choice = ["a", "b", "tie", "both_bad", "a"][number % 5]
        submit(store, task, EXPERT, {"kind": "preference", "choice": choice,
                                     "better_response": "Both miss it: here is the right answer." if choice == "both_bad" else None})  # fmt: skip
    return corrections, preferences


@pytest.fixture
def snapshots(project, decided, cli):
    """An SFT and a DPO snapshot exported from the experts' decisions."""
    for kind in ("sft", "dpo"):
        result = cli("export", "--kind", kind, "--name", f"support-{kind}")
        assert result.exit_code == 0, result.output
    return {kind: project.root / "exports" / f"support-{kind}" / "v1" for kind in ("sft", "dpo")}


def pytest_terminal_summary(terminalreporter):
    """The fuzz tests' tally (cases, lines kept and rejected, files refused, crashes) per input path."""
    from tests.fuzzing import report_lines

    lines = report_lines()
    if lines:
        terminalreporter.section("fuzzed inputs (tests/test_fuzz_inputs.py)")
        for line in lines:
            terminalreporter.write_line(line)
