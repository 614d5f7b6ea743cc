"""Files generated into `schemas/` and checked for staleness: the JSON Schemas of the pydantic
models, and the Label Studio labeling configs for the default taxonomy (`labelstudio/*.xml`;
a project with its own taxonomy gets its own configs from `flywheel ls config`).

The models are the source of truth; `flywheel schemas write` regenerates the files and a test
fails when a committed file differs from what the models produce.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

import annotate
from annotate.config import ProjectConfig, Taxonomy
from annotate.consensus.agreement import AgreementReport
from annotate.contracts.manifest import Manifest
from annotate.contracts.report import EvalReport
from annotate.labelstudio.configs import labeling_config
from annotate.records import CorrectionAnswer, PreferenceAnswer, RecordIn, Reject

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "record.schema.json": RecordIn,
    "config.schema.json": ProjectConfig,
    "reject.schema.json": Reject,
    "correction-answer.schema.json": CorrectionAnswer,
    "preference-answer.schema.json": PreferenceAnswer,
    "agreement-report.schema.json": AgreementReport,
    "manifest.schema.json": Manifest,  # what `flywheel export` writes and train/ reads
    "report.schema.json": EvalReport,  # what `flywheel eval` writes and the app and the round report read
}


LABELING_CONFIGS = {f"labelstudio/{kind}.xml": kind for kind in ("correction", "preference")}


def generated_files() -> dict[str, str]:
    """Every generated file's path (relative to `schemas/`) and its text."""
    files = {name: render(model, name) for name, model in SCHEMA_MODELS.items()}
    files.update({name: labeling_config(kind, Taxonomy()) + "\n" for name, kind in LABELING_CONFIGS.items()})
    return files


def default_schemas_dir() -> Path:
    """`schemas/` beside the `annotate` package (the repository's), else in the working folder."""
    beside = Path(annotate.__file__).resolve().parent.parent / "schemas"
    return beside if beside.is_dir() else Path("schemas")


def render(model: type[BaseModel], file_name: str) -> str:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": file_name}
    schema.update(model.model_json_schema(mode="validation"))
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def stale_schemas(directory: Path) -> list[str]:
    """Generated files in `directory` that are missing or differ from what the models produce."""
    stale = []
    for name, text in generated_files().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale


def write_schemas(directory: Path) -> list[Path]:
    written = []
    for name, text in generated_files().items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
