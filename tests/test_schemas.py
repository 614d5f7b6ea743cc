"""The committed JSON Schemas are exactly what the pydantic models produce."""

import json

from typer.testing import CliRunner

from annotate.cli import app
from annotate.cli.schema_files import SCHEMA_MODELS, stale_schemas
from tests.conftest import REPO


def test_the_committed_schema_files_are_current():
    assert stale_schemas(REPO / "schemas") == [], "run `flywheel schemas write` and commit the result"


def test_a_changed_schema_file_is_caught(tmp_path):
    result = CliRunner().invoke(app, ["schemas", "write", "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert stale_schemas(tmp_path) == []
    path = tmp_path / "record.schema.json"
    schema = json.loads(path.read_text())
    schema["required"] = ["messages"]
    path.write_text(json.dumps(schema))
    assert stale_schemas(tmp_path) == ["record.schema.json"]
    assert CliRunner().invoke(app, ["schemas", "check", "--dir", str(tmp_path)]).exit_code == 1


def test_the_record_schema_states_the_record_contract():
    schema = json.loads((REPO / "schemas" / "record.schema.json").read_text())
    assert set(schema["required"]) == {"messages", "response"}
    assert {"id", "model", "created_at", "feedback", "logprobs", "group", "metadata"} <= set(schema["properties"])
    assert set(SCHEMA_MODELS) == {path.name for path in (REPO / "schemas").glob("*.schema.json")}
