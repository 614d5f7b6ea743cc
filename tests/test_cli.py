"""The `flywheel` command: help everywhere, clear errors, documented exit codes."""

import json
import subprocess
import sys

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from annotate.cli import app
from tests.conftest import record


def command_paths(group=None, prefix=()):
    group = group or get_command(app)
    for name, command in group.commands.items():
        yield (*prefix, name)
        if hasattr(command, "commands"):
            yield from command_paths(command, (*prefix, name))


ALL_COMMANDS = list(command_paths())


def test_the_top_level_help_lists_every_step_built_so_far():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for step in ("init", "ingest", "flag", "score", "select", "queue", "gold", "db", "round", "schemas", "sample", "app"):
        assert step in result.output


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=[" ".join(path) for path in ALL_COMMANDS])
def test_every_command_has_help(path):
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    docstring_line = result.output.split("Usage:")[1]
    assert len(docstring_line.strip().splitlines()) > 2


def test_the_installed_command_starts(tmp_path):
    result = subprocess.run([sys.executable, "-m", "annotate", "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and "ingest" in result.stdout


def test_ingest_exits_0_when_every_line_is_ingested(cli, write_jsonl):
    result = cli("ingest", str(write_jsonl([record(), record(prompt="b")])))
    assert result.exit_code == 0
    assert "Ingest summary" in result.output


def test_ingest_exits_3_when_some_lines_are_rejected_and_names_them(cli, write_jsonl):
    path = write_jsonl([record(), b'{"prompt": 1}'])
    result = cli("ingest", str(path))
    assert result.exit_code == 3
    assert f"{path}:2:" in result.output


def test_ingest_exits_2_when_nothing_can_be_ingested(cli, write_jsonl, tmp_path):
    assert cli("ingest", str(write_jsonl([b"{bad"]))).exit_code == 2
    assert cli("ingest", str(tmp_path / "absent.jsonl")).exit_code == 2


def test_a_missing_mapped_csv_column_is_said_once_without_a_traceback(cli, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("question,answer\nq,a\n")
    result = cli("ingest", str(path), "--map", "prompt=question", "--map", "response=reply")
    assert result.exit_code == 2
    assert result.output.count("mapped column 'reply'") == 1
    assert "Traceback" not in result.output


def test_a_bad_map_option_is_a_usage_error(cli, write_jsonl):
    result = cli("ingest", str(write_jsonl([record()])), "--map", "answer")
    assert result.exit_code == 2
    assert "FIELD=COLUMN" in result.output


def test_the_rejects_option_chooses_the_rejects_file(cli, write_jsonl, tmp_path):
    rejects = tmp_path / "out" / "bad.jsonl"
    cli("ingest", str(write_jsonl([record(), b"[]"])), "--rejects", str(rejects))
    assert json.loads(rejects.read_text())["line"] == 2


def test_db_status_shows_path_schema_version_and_counts(cli, project, write_jsonl):
    cli("ingest", str(write_jsonl([record()])))
    result = cli("db", "status")
    assert result.exit_code == 0
    assert str(project.db_path) in result.output.replace("\n", "")
    applied, _ = store_version(project)
    assert f"schema version  {applied}" in result.output
    assert "records" in result.output and "│ 1 " in result.output


def test_round_start_and_list(cli, write_jsonl):
    assert cli("round", "start", "october", "--model", "ledgerly-assist@2026-10").exit_code == 0
    cli("ingest", str(write_jsonl([record()])))
    listing = cli("round", "list").output
    assert "round-1" in listing and "october" in listing and "ledgerly-assist@2026-10" in listing


def test_a_domain_error_is_one_clear_line_and_exit_1(cli):
    cli("round", "start", "october")
    result = cli("round", "start", "october")
    assert result.exit_code == 1
    assert "a round named 'october' exists already" in result.output
    assert "Traceback" not in result.output


def test_commands_outside_a_project_say_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLYWHEEL_PROJECT", raising=False)
    result = CliRunner().invoke(app, ["db", "status"])
    assert result.exit_code == 1
    assert "flywheel init" in result.output


def test_init_from_the_command_line(tmp_path):
    result = CliRunner().invoke(app, ["init", str(tmp_path / "new")])
    assert result.exit_code == 0
    assert (tmp_path / "new" / "flywheel.toml").is_file()
    again = CliRunner().invoke(app, ["init", str(tmp_path / "new")])
    assert again.exit_code == 1 and "already exists" in again.output


def store_version(project) -> tuple[int, str]:
    with project.open_store() as store:
        return store.schema_version()


def test_flag_select_and_queue_from_the_command_line(cli, write_jsonl):
    rows = [record(id=f"r{n}", prompt=f"Question number {n} about invoices?", feedback={"thumbs": "down"}) for n in range(12)]
    cli("ingest", str(write_jsonl(rows)))
    flagged = cli("flag", "--only", "negative_feedback")
    assert flagged.exit_code == 0 and "negative_feedback" in flagged.output and "12 records checked" in flagged.output
    selected = cli("select", "--budget", "5")
    assert selected.exit_code == 0
    assert "Created 5 correction tasks" in selected.output and "Diversity: the batch covers" in selected.output
    queue = cli("queue")
    assert queue.exit_code == 0 and "correction" in queue.output
    assert cli("select", "--budget", "3", "--kind", "ranking").exit_code == 1


def test_manual_flag_from_the_command_line(cli, write_jsonl, project):
    cli("ingest", str(write_jsonl([record(id="x")])))
    with project.open_store() as store:
        (row,) = store.db.query("SELECT id FROM records")
    result = cli("flag", "--manual", row["id"], "--note", "wrong VAT rate")
    assert result.exit_code == 0 and "wrong VAT rate" in result.output
    assert cli("flag", "--manual", "nope").exit_code == 1


def test_gold_import_reports_bad_lines_and_keeps_the_rest(cli, write_jsonl, tmp_path):
    cli("ingest", str(write_jsonl([record(id="known")])), "--source", "shop")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        '{"source": "shop", "id": "known", "answer": {"kind": "correction", "verdict": "acceptable"}}\n'
        '{"source": "shop", "id": "unknown", "answer": {"kind": "correction", "verdict": "acceptable"}}\n'
        '{"source": "shop", "id": "known", "answer": {"kind": "correction", "verdict": "corrected"}}\n'
    )
    result = cli("gold", "import", str(gold))
    assert result.exit_code == 3
    assert "1 new or changed" in result.output
    assert "gold.jsonl:2: id: no ingested record 'unknown' from source 'shop'" in result.output
    assert "gold.jsonl:3: answer:" in result.output
    assert "0 new or changed, 1 unchanged" in cli("gold", "import", str(gold)).output
