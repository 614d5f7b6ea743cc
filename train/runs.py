"""Run folders (`runs/RUN_ID/`): what a training run leaves behind, and the list of them.

A run folder holds `adapter/` (the trained adapter, or the whole model for full fine-tuning, with
the tokenizer), `config.json` (the resolved TRL and peft settings), `metrics.csv` and
`metrics.png` (loss per step; DPO also reward margins and accuracies), `checkpoints/` (for
resuming), `merged/` with `--merge`, and `run.json`: the lineage (snapshot name, version and
manifest sha256, base model and its config hash, code version (`annotate.contracts.lineage`),
seed, hardware, wall time, tokens seen). `run.json` is written last, so a folder without one is a
run that did not finish.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from annotate.errors import TrainingError
from train.gguf_import import SOURCE_FILE

log = logging.getLogger(__name__)

METRICS = ("loss", "eval_loss", "rewards/margins", "rewards/accuracies", "learning_rate", "grad_norm", "num_tokens")


def new_run_id(kind: str, snapshot_name: str, version: int) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{kind}-{snapshot_name}-v{version}-{stamp}"


def base_model_lineage(base: str) -> dict[str, Any]:
    """The base model's name and the sha256 of its config.json (a local folder), or its hub id; for a
    folder made by `flywheel models import-gguf`, also where its weights came from (package, version,
    file sha256)."""
    config = Path(base) / "config.json"
    if config.is_file():
        lineage = {"path": str(base), "config_sha256": hashlib.sha256(config.read_bytes()).hexdigest()}
        source = Path(base) / SOURCE_FILE
        if source.is_file():
            record = json.loads(source.read_text(encoding="utf-8"))
            lineage["source"] = {key: record.get(key) for key in ("format", "package", "version", "file", "sha256", "model")}
        return lineage
    return {"hub_id": base, "config_sha256": None}


def adapter_folder(folder: str | Path) -> Path | None:
    """The peft adapter of a run folder (`RUN/adapter/`), or the folder itself when it is one; None
    when neither holds an `adapter_config.json`."""
    folder = Path(folder)
    for candidate in (folder / "adapter", folder):
        if (candidate / "adapter_config.json").is_file():
            return candidate
    return None


def write_metrics(run_dir: Path, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`metrics.csv` (a row per logged step) and `metrics.png` from the trainer's log history."""
    rows = [{"step": entry["step"], **{name: entry.get(name) for name in METRICS}} for entry in history
            if "step" in entry and any(name in entry for name in METRICS)]  # fmt: skip
    with open(run_dir / "metrics.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=["step", *METRICS])
        writer.writeheader()
        writer.writerows(rows)
    _plot(run_dir / "metrics.png", rows)
    return rows


def _plot(path: Path, rows: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no screen
    import matplotlib.pyplot as plt

    shown = [name for name in ("loss", "eval_loss", "rewards/margins", "rewards/accuracies") if any(row[name] is not None for row in rows)]
    figure, axes = plt.subplots(1, max(1, len(shown)), figsize=(4 * max(1, len(shown)), 3), squeeze=False)
    for axis, name in zip(axes[0], shown):
        points = [(row["step"], row[name]) for row in rows if row[name] is not None]
        axis.plot([step for step, _ in points], [value for _, value in points], marker="o", markersize=3)
        axis.set_title(name)
        axis.set_xlabel("step")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_run_json(run_dir: Path, record: dict[str, Any]) -> None:
    (run_dir / "run.json").write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")


def read_run(run_dir: str | Path) -> dict[str, Any]:
    """A finished run's run.json; `TrainingError` naming the file when it is missing or not a JSON object."""
    path = Path(run_dir) / "run.json"
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TrainingError(f"{run_dir}: not a finished run (no run.json); `flywheel train list` shows them") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TrainingError(f"{path}: cannot read it as JSON: {exc}") from exc
    if not isinstance(run, dict):
        raise TrainingError(f"{path}: not a run record (a JSON object)")
    return run


def list_runs(runs_dir: str | Path) -> list[dict[str, Any]]:
    """Every finished run under `runs_dir` (newest first), as its run.json; unreadable ones are skipped with a warning."""
    runs = []
    for path in Path(runs_dir).glob("*/run.json"):
        try:
            runs.append(read_run(path.parent))
        except TrainingError as exc:
            log.warning("%s; skipped", exc)
    return sorted(runs, key=lambda run: run.get("finished_at", ""), reverse=True)


def last_checkpoint(run_dir: Path) -> Path | None:
    """The newest `checkpoints/checkpoint-N` of a run (None when it saved none)."""
    found = [path for path in (run_dir / "checkpoints").glob("checkpoint-*") if path.name.split("-")[-1].isdigit()]
    return max(found, key=lambda path: int(path.name.split("-")[-1])) if found else None
