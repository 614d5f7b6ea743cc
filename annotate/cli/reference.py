"""The README's command and config references, generated so they never drift from the code.

`python -m annotate.cli.reference README.md` (`make readme`) rewrites the sections between
`<!-- commands:start -->` / `<!-- commands:end -->` and `<!-- config:start -->` /
`<!-- config:end -->`; a test fails when the README's copy is stale.

- Commands: every `flywheel` command with its usage line (arguments and options, from the
  command line's own definitions) and the first paragraph of its help.
- Config: every `flywheel.toml` key with its default and description, from `ProjectConfig`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MARKERS = {"commands": ("<!-- commands:start -->", "<!-- commands:end -->"),
           "config": ("<!-- config:start -->", "<!-- config:end -->")}  # fmt: skip


def command_reference() -> str:
    """A markdown table of every command: usage and what it does."""
    import typer

    from annotate.cli import app

    root = typer.main.get_command(app)
    rows = ["| command | what it does |", "| --- | --- |"]
    for path, command in _walk(root, []):
        usage = " ".join(["flywheel", *path, *_parameters(command)])
        rows.append(f"| `{_cell(usage)}` | {_cell(_summary(command))} |")
    return "\n".join(rows)


def _walk(command, path: list[str]):
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    if path and getattr(command, "invoke_without_command", False):
        yield path, command  # a group that also runs on its own (`flywheel export --kind ...`)
    for name in sorted(subcommands):
        if not subcommands[name].hidden:
            yield from _walk(subcommands[name], [*path, name])


def _parameters(command) -> list[str]:
    shown = []
    for parameter in command.params:
        if getattr(parameter, "hidden", False) or parameter.name == "help":
            continue
        if parameter.param_type_name == "argument":
            name = (parameter.metavar or parameter.name.upper()).strip("[]")
            shown.append(name if parameter.required else f"[{name}]")
            continue
        flag = max(parameter.opts, key=len)
        if parameter.is_flag:
            text = flag
        else:
            text = f"{flag} {parameter.name.upper()}" + (" ..." if parameter.multiple else "")
        shown.append(text if parameter.required else f"[{text}]")
    return shown


def _summary(command) -> str:
    text = (command.help or command.short_help or "").strip()
    return re.sub(r"\s+", " ", text.split("\n\n")[0])


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def config_reference() -> str:
    """A markdown table of every flywheel.toml key: its default and what it means."""
    from annotate.config import ProjectConfig

    rows = ["| key | default | meaning |", "| --- | --- | --- |"]
    for section, field in ProjectConfig.model_fields.items():
        model = field.annotation if hasattr(field.annotation, "model_fields") else None
        if model is None:
            rows.append(f"| `[[{section}]]` | the `unexpected-refusal` refusal check | kinds: json, json_schema, regex, length, refusal (see the schema) |")
            continue
        rows += _section_rows(section, model, field.get_default(call_default_factory=True))
    return "\n".join(rows)


def _section_rows(prefix: str, model, defaults) -> list[str]:
    """`defaults`: the section's default value, whose nested sections may differ from their own class defaults."""
    rows = []
    for name, field in model.model_fields.items():
        nested = field.annotation if hasattr(field.annotation, "model_fields") else None
        if nested is not None:
            rows += _section_rows(f"{prefix}.{name}", nested, getattr(defaults, name))
            continue
        default = getattr(defaults, name)
        if isinstance(default, list) and default and hasattr(default[0], "model_dump"):
            shown = f"{len(default)} entries"
        else:
            shown = f"`{_toml(default)}`"
        rows.append(f"| `{prefix}.{name}` | {_cell(shown)} | {_cell(field.description or '')} |")
    return rows


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()) + " }"
    return str(value)


def rewrite(text: str) -> str:
    """`text` with each marked section replaced by its generated reference."""
    for key, render in (("commands", command_reference), ("config", config_reference)):
        start, end = MARKERS[key]
        if start not in text or end not in text:
            raise ValueError(f"the README has no {start} ... {end} section")
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}\n{render()}\n{end}{tail}"
    return text


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    target.write_text(rewrite(target.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"{target}: command and config references rewritten")
