"""The committed JSON Schemas are exactly what the pydantic models produce, and the two contracts
between the halves, manifest.json and report.json, describe what a real export and a real
evaluation write (a broken one fails them)."""

import copy
import json
import re

import jsonschema
import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.cli.schema_files import SCHEMA_MODELS, stale_schemas
from annotate.contracts.manifest import Manifest, read_manifest
from annotate.contracts.report import EvalReport, read_report
from annotate.errors import ManifestError
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


# --- the contracts between the halves: manifest.json and report.json ------------------------------

SAMPLE = REPO / "data" / "sample"


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((REPO / "schemas" / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _problems(validator: jsonschema.Draft202012Validator, document: dict) -> list[str]:
    return [f"{'.'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def test_real_exports_write_the_manifest_the_committed_schema_describes(project, decided, cli):
    validator = _validator("manifest.schema.json")
    rehearsal = f"{SAMPLE / 'rehearsal_general.jsonl'}:0.25"
    for kind, extra in (("sft", ("--rehearsal", rehearsal)), ("dpo", ()), ("kto", ("--rehearsal", rehearsal))):
        result = cli("export", "--kind", kind, "--name", f"support-{kind}", *extra)
        assert result.exit_code == 0, result.output
        folder = project.root / "exports" / f"support-{kind}" / "v1"
        written = json.loads((folder / "manifest.json").read_text())
        assert _problems(validator, written) == []
        manifest = read_manifest(folder)  # the one reader: every key written is described, and read back as written
        assert manifest.as_written() == written and manifest.model_extra == {}
        assert manifest.model_fields_set == set(Manifest.model_fields)
        assert manifest.kind == kind and manifest.counts.train == len((folder / "train.jsonl").read_text().splitlines())
    assert {row.origin for row in manifest.rows} >= {"accepted", "correction", "preference", "rehearsal"}


BROKEN_MANIFESTS = {
    "no kind": lambda m: m.pop("kind"),
    "an unknown kind": lambda m: m.update(kind="rlhf"),
    "a file hash that is not a sha256": lambda m: m["files"].update({"train.jsonl": "edited"}),
    "a row without its id": lambda m: m["rows"][0].pop("id"),
    "a row in no split": lambda m: m["rows"][0].update(split="test"),
    "a count that is not a number": lambda m: m["counts"].update(train="many"),
    "a gate without its verdict": lambda m: m["gates"][0].pop("enabled"),
    "a share above 1": lambda m: m["profile"]["completeness"]["train"].update(answer=1.5),
}


@pytest.mark.parametrize("break_it", BROKEN_MANIFESTS.values(), ids=BROKEN_MANIFESTS.keys())
def test_a_broken_manifest_fails_the_schema_and_the_reader_names_the_file(project, decided, cli, tmp_path, break_it):
    assert cli("export", "--kind", "sft", "--name", "support-sft").exit_code == 0
    manifest = json.loads((project.root / "exports" / "support-sft" / "v1" / "manifest.json").read_text())
    break_it(manifest)
    assert _problems(_validator("manifest.schema.json"), manifest)
    folder = tmp_path / "edited"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ManifestError, match=re.escape(f"{folder / 'manifest.json'}: not a snapshot manifest")):
        read_manifest(folder)


def test_the_manifest_reader_names_a_missing_or_unparsable_file(tmp_path):
    with pytest.raises(ManifestError, match=re.escape(f"{tmp_path}: no manifest.json")):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text('{"name": "support-sft", ')
    with pytest.raises(ManifestError, match="manifest.json: not valid JSON"):
        read_manifest(tmp_path)


BROKEN_REPORTS = {
    "an unknown variant kind": lambda r: r["variants"][0].update(kind="lora"),
    "a metric without its sample size": lambda r: r["variants"][0]["metrics"]["chrf"].pop("n"),
    "a verdict that is not a boolean": lambda r: r.update(passed="yes"),
    "a snapshot without its manifest's sha256": lambda r: r["snapshot"].pop("manifest_sha256"),
    "no production input": lambda r: r["inputs"].pop("production"),
    "an unknown key": lambda r: r.update(notes="edited by hand"),
}


@pytest.mark.slow
def test_a_real_evaluation_writes_the_report_the_committed_schema_describes(project, decided, tiny_model, cli, tmp_path):
    assert cli("export", "--kind", "sft", "--name", "support-sft").exit_code == 0
    project.config_path.write_text(project.config_path.read_text().replace("max_new_tokens = 256", "max_new_tokens = 4"))
    general, safety = tmp_path / "general.jsonl", tmp_path / "safety.jsonl"
    general.write_text("".join((SAMPLE / "eval_general.jsonl").read_text().splitlines(keepends=True)[:4]))
    safety.write_text("".join((SAMPLE / "eval_safety.jsonl").read_text().splitlines(keepends=True)[:4]))
    out = tmp_path / "reports" / "base-only"
    result = cli("--quiet", "eval", "--base", str(tiny_model), "--data", str(project.root / "exports" / "support-sft" / "v1"),
                 "--prompt-baseline", str(SAMPLE / "prompt_baseline.toml"), "--general", str(general), "--safety", str(safety),
                 "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    written = json.loads((out / "report.json").read_text())
    validator = _validator("report.schema.json")
    assert _problems(validator, written) == []
    assert EvalReport.model_validate(written).model_dump(mode="json", exclude_unset=True) == written
    assert read_report(out) == written
    for change in BROKEN_REPORTS.values():
        broken = copy.deepcopy(written)
        change(broken)
        assert _problems(validator, broken), broken
