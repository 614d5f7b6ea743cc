"""A Flywheel project: a folder holding `flywheel.toml`, its guidelines and (by default) its database;
and its rounds of the loop: one is open at a time, and everything ingested belongs to it.

The project folder is `--project`, else `$FLYWHEEL_PROJECT`, else the nearest folder at or
above the working directory that holds a `flywheel.toml`. The database is `--db`, else
`$FLYWHEEL_DB`, else `flywheel.db` in the project folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from annotate.config import CONFIG_FILE, ProjectConfig, default_config_text, load_config
from annotate.errors import ProjectError, RoundError
from annotate.review.answer_rules import FORMAT_SETTING, format_setting
from annotate.review.answer_rules import SETTING as RULES_SETTING
from annotate.review.masking import SETTING as REVIEW_SETTING
from annotate.review.masking import review_setting
from annotate.review.quality import QUALITY_SETTING
from annotate.store import Store

DB_FILE = "flywheel.db"
GUIDELINES_TEXT = """# Annotation guidelines

Write the answer a careful, senior support specialist would send.

- **Acceptable as is**: correct, complete, in the required format, in the right tone.
- **Corrected**: edit the response until it is acceptable; change only what is wrong.
- **Unusable**: you cannot judge it (needs another expert, or the prompt is garbage).

Pick every failure category that applies and the severity of the worst one, and say why in one
or two sentences: your rationale is what the lead reads when experts disagree.
"""


@dataclass(frozen=True)
class Project:
    """Where a project lives, and its config and database paths."""

    root: Path
    db_path: Path

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    @cached_property
    def config(self) -> ProjectConfig:
        return load_config(self.config_path)

    def guidelines_text(self) -> str:
        """The project's annotation guidelines (`[project] guidelines`, Markdown), or the built-in
        lines when that file is missing or unreadable."""
        try:
            return (self.root / self.config.project.guidelines).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return GUIDELINES_TEXT

    @property
    def rejects_dir(self) -> Path:
        return self.root / "rejects"

    def open_store(self) -> Store:
        """The project's store, told the project rules that domain functions apply on their own."""
        store = Store(self.db_path)
        settings = {
            "taxonomy": self.config.taxonomy.model_dump(),
            "lease_minutes": self.config.overlap.lease_minutes,
            "edit_window_minutes": self.config.app.edit_window_minutes,
            QUALITY_SETTING: self.config.quality.model_dump(),
            RULES_SETTING: self.config.review.model_dump(mode="json"),
            FORMAT_SETTING: format_setting(self.config.validators, self.root),
            REVIEW_SETTING: review_setting(self.config.pii.in_review, self.config.pii.entities, self.config.flagging.pii_min_score,
                                           self.config.pii.min_scores),  # fmt: skip
        }
        if any(store.setting(key) != value for key, value in settings.items()):
            store.save_settings(settings)  # only when changed: a write per page run would contend
        return store


def find_project(project: str | Path | None = None, db: str | Path | None = None) -> Project:
    """Locate the project folder and database (see the module docstring for the order)."""
    root = _project_root(project)
    db_path = Path(db or os.environ.get("FLYWHEEL_DB") or root / DB_FILE)
    return Project(root=root, db_path=db_path)


def _project_root(project: str | Path | None) -> Path:
    explicit = project or os.environ.get("FLYWHEEL_PROJECT")
    if explicit:
        root = Path(explicit).resolve()
        if not (root / CONFIG_FILE).is_file():
            raise ProjectError(f"{root}: no {CONFIG_FILE} here; create a project with `flywheel init {explicit}`")
        return root
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise ProjectError(
        f"no {CONFIG_FILE} in {here} or any folder above it; run `flywheel init` or pass --project DIR"
    )


def init_project(directory: str | Path, db: str | Path | None = None, name: str | None = None) -> Project:
    """Create a project folder with a commented default config, guidelines, and its first round."""
    root = Path(directory).resolve()
    config_path = root / CONFIG_FILE
    if config_path.exists():
        raise ProjectError(f"{config_path} already exists; this folder is a project already")
    root.mkdir(parents=True, exist_ok=True)
    config_path.write_text(default_config_text(name or root.name), encoding="utf-8")
    guidelines = root / "guidelines.md"
    if not guidelines.exists():
        guidelines.write_text(GUIDELINES_TEXT, encoding="utf-8")
    project = Project(root=root, db_path=Path(db or os.environ.get("FLYWHEEL_DB") or root / DB_FILE))
    project.config  # validate what was just written
    with project.open_store() as store:
        if store.open_round() is None:
            start_round(store)
    return project


def start_round(store: Store, name: str | None = None, model: str | None = None) -> dict:
    """Close the open round and open a new one (named `round-N` unless a name is given)."""
    name = name or f"round-{store.next_round_number()}"
    if not name.strip():
        raise RoundError("a round name must not be empty")
    if store.round_named(name) is not None:
        raise RoundError(f"a round named {name!r} exists already; pick another name")
    return store.insert_round_closing_others(name, model)


def current_round(store: Store) -> dict:
    """The open round, opening `round-1` on a store that has none (a database made by hand)."""
    return store.open_round() or start_round(store)


def list_rounds(store: Store) -> list[dict]:
    """Every round, oldest first, with its record and task counts."""
    return store.rounds_with_counts()


@dataclass(frozen=True)
class DatabaseStatus:
    """What `flywheel db status` shows: migrations applied, the latest one's name, rows per table, the open round."""

    migrations: int
    latest_migration: str
    table_counts: dict[str, int]
    open_round: dict | None


def database_status(store: Store) -> DatabaseStatus:
    applied, latest = store.schema_version()
    return DatabaseStatus(applied, latest, store.table_counts(), store.open_round())
