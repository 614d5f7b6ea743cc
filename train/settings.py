"""A training run's settings: a TOML or YAML file mapped onto TRL's config and peft's, plus overrides.

```toml
[trainer]            # any field of TRL's SFTConfig (flywheel train sft) or DPOConfig (train dpo)
learning_rate = 2e-4
max_steps = 100

[adapter]            # the adaptation method and any field of its peft config
method = "lora"      # lora | ia3 | prompt_tuning | prefix_tuning | full (no adapter: every weight trains)
r = 8
lora_alpha = 16
```

Command-line overrides are `SECTION.KEY=VALUE` (`trainer.max_steps=3`, `adapter.r=4`), the value
read as TOML (`3`, `2e-4`, `true`, `"text"`, `["q_proj"]`) and otherwise taken as text. Every key
is checked against the dataclass fields of the config it lands in: a misspelt key fails with the
file, the key and the nearest names, rather than being ignored. No torch import here.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.errors import TrainingError
from annotate.text.clean import UncleanFile, checked, first_problem, load_toml, read_text

METHODS = {  # method -> peft config class name (None: full fine-tuning)
    "lora": "LoraConfig",
    "ia3": "IA3Config",
    "prompt_tuning": "PromptTuningConfig",
    "prefix_tuning": "PrefixTuningConfig",
    "full": None,
}
ADAPTER_DEFAULTS = {  # what a method starts from before the file and the overrides
    "lora": {"r": 8, "lora_alpha": 16, "lora_dropout": 0.05, "target_modules": "all-linear"},
    "ia3": {},
    "prompt_tuning": {"num_virtual_tokens": 8},
    "prefix_tuning": {"num_virtual_tokens": 8},
    "full": {},
}
SECTIONS = ("trainer", "adapter")


@dataclass
class RunSettings:
    trainer: dict[str, Any] = field(default_factory=dict)  # fields of SFTConfig / DPOConfig as given
    method: str = "lora"
    adapter: dict[str, Any] = field(default_factory=dict)  # fields of the method's peft config
    source: str = "(defaults)"  # where they came from, for messages

    def as_dict(self) -> dict[str, Any]:
        return {"trainer": self.trainer, "adapter": {"method": self.method, **self.adapter}}


def load_settings(path: str | Path | None, overrides: list[str], trainer_class: type) -> RunSettings:
    """Settings from `path` (TOML or YAML; none: defaults) with `overrides` applied, every key checked
    against `trainer_class` (SFTConfig or DPOConfig) and the chosen method's peft config."""
    sections = _read(Path(path)) if path else {}
    source = str(path) if path else "(defaults)"
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise TrainingError(f"{source}: unknown section(s) {', '.join(sorted(unknown))}; sections are [trainer] and [adapter]")
    trainer = dict(sections.get("trainer") or {})
    adapter = dict(sections.get("adapter") or {})
    for item in overrides:
        section, key, value = _override(item)
        (trainer if section == "trainer" else adapter)[key] = value
    method = str(adapter.pop("method", "lora"))
    if method not in METHODS:
        raise TrainingError(f"{source}: unknown adapter method {method!r}; one of {', '.join(METHODS)}")
    _check_keys(trainer, _field_names(trainer_class), f"{source}: [trainer]", trainer_class.__name__)
    if METHODS[method] is not None:
        import peft  # light: no torch model is built

        _check_keys(adapter, _field_names(getattr(peft, METHODS[method])), f"{source}: [adapter]", METHODS[method])
    elif adapter:
        raise TrainingError(f"{source}: [adapter] method 'full' takes no other keys (got {', '.join(sorted(adapter))})")
    return RunSettings(trainer=trainer, method=method, adapter={**ADAPTER_DEFAULTS[method], **adapter}, source=source)


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise TrainingError(f"{path}: no such config file")
    try:
        text = read_text(path)
        if path.suffix in (".yaml", ".yml"):
            import yaml

            loaded = checked(yaml.safe_load(text) or {}, str(path))
        else:
            loaded = load_toml(text, str(path))
    except UncleanFile as exc:
        raise TrainingError(str(exc)) from exc
    except OSError as exc:
        raise TrainingError(f"{path}: cannot read: {exc.strerror}") from exc
    except Exception as exc:  # yaml's errors (and RecursionError on absurd nesting) name the line and column
        raise TrainingError(f"{path}: cannot parse: {str(exc) or type(exc).__name__}") from exc
    if not isinstance(loaded, dict):
        raise TrainingError(f"{path}: expected sections [trainer] and [adapter], got {type(loaded).__name__}")
    return loaded


def _override(item: str) -> tuple[str, str, Any]:
    name, equals, text = item.partition("=")
    section, dot, key = name.strip().partition(".")
    if not equals or not dot or section not in SECTIONS or not key:
        raise TrainingError(f"override {item!r}: write SECTION.KEY=VALUE with SECTION trainer or adapter, "
                            "e.g. trainer.max_steps=3")  # fmt: skip
    try:
        value = tomllib.loads(f"value = {text.strip()}")["value"]
    except (tomllib.TOMLDecodeError, ValueError):
        value = text.strip()
    problem = first_problem(value, path=f"{section}.{key}")
    if problem is not None:
        raise TrainingError(f"override {item[:80]!r}: {problem.reason}")
    return section, key, value


def _field_names(config_class: type) -> set[str]:
    return {item.name for item in dataclasses.fields(config_class) if item.init}


def _check_keys(given: dict[str, Any], allowed: set[str], where: str, class_name: str) -> None:
    for key in given:
        if key not in allowed:
            near = difflib.get_close_matches(key, sorted(allowed), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise TrainingError(f"{where}: unknown key {key!r} ({class_name} has no such field){hint}")
