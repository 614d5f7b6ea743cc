"""The demo project `make demo` builds: the committed simulated answers are current, and import
into a living project (answered tasks, disagreements for the lead, an exportable snapshot)."""

from __future__ import annotations

import json

import pytest

from annotate.consensus.adjudication import adjudication_queue
from annotate.project import find_project, init_project
from annotate.sample.answers import demo_answers
from tests.conftest import REPO

SAMPLE = REPO / "data" / "sample"
pytestmark = pytest.mark.slow


def test_the_committed_demo_answers_are_current_and_make_a_living_project(tmp_path):
    from typer.testing import CliRunner

    from annotate.cli import app

    project = init_project(tmp_path / "demo", name="Ledgerly support (demo)")
    with open(project.config_path, "a", encoding="utf-8") as config:  # as the Makefile's demo-data does
        config.write((SAMPLE / "demo-validators.toml").read_text())
    for name in ("triage.schema.json", "invoice.schema.json", "guidelines.md"):
        (project.root / name).write_text((SAMPLE / name).read_text())
    runner = CliRunner()
    steps = [["ingest", str(SAMPLE / "records.jsonl"), "--source", "ledgerly-prod"], ["flag"], ["gold", "import", str(SAMPLE / "gold.jsonl")],
             ["select", "--budget", "120", "--spot-check", "10%"], ["select", "--budget", "40", "--kind", "preference"]]  # fmt: skip
    for step in steps:
        result = runner.invoke(app, ["--project", str(project.root), "--quiet", *step])
        assert result.exit_code == 0, (step, result.output)
    project = find_project(project.root)
    with project.open_store() as store:
        lines = list(demo_answers(store))
    committed = [json.loads(line) for line in (SAMPLE / "demo_answers.jsonl").read_text().splitlines()]
    assert lines == committed, "data/sample/demo_answers.jsonl is stale: `flywheel --project demo-project sample answers data/sample/demo_answers.jsonl`"

    imported = runner.invoke(app, ["--project", str(project.root), "annotations", "import", str(SAMPLE / "demo_answers.jsonl"), "--add-annotators"])
    assert imported.exit_code == 0, imported.output
    with project.open_store() as store:
        counts = {row["kind"]: row for row in store.queue_counts("9999")}
        done = sum(row["done_slots"] for row in counts.values())
        assert done == len(committed) and all(row["open_slots"] > 0 for row in counts.values())  # work left for the demo
        assert len(adjudication_queue(store, project.config)) >= 3  # disagreements wait for the lead
    exported = runner.invoke(app, ["--project", str(project.root), "export", "--kind", "sft", "--name", "support-sft"])
    assert exported.exit_code == 0, exported.output
    counts = json.loads((project.root / "exports" / "support-sft" / "v1" / "manifest.json").read_text())["counts"]
    assert counts["train"] > 30 and counts["eval"] > 0  # an eval split to evaluate the demo adapter on
