"""The command line loads only the module of the command it runs, and that gives the same commands
as the whole tree: every command maps to the module that registers it, help and unknown commands
still see every command, and `flywheel agreement` imports no heavy library it does not use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer.main

import annotate.cli as cli

REPO = Path(cli.__file__).resolve().parents[2]


def command_names(app) -> set[str]:
    return set(typer.main.get_command(app).commands)


def test_every_command_maps_to_the_module_that_registers_it():
    assert set(cli.MODULE_OF_COMMAND) == command_names(cli.app)
    for name, module in cli.MODULE_OF_COMMAND.items():
        assert name in command_names(cli.build_app((module,)))


def test_a_command_line_loads_its_commands_module_and_help_loads_all():
    assert cli.command_modules(["agreement", "--json"]) == ("agreement",)
    assert cli.command_modules(["--project", "p", "-q", "adjudicate", "list"]) == ("agreement",)
    assert cli.command_modules(["--db=x.db", "ls", "pull"]) == ("labelstudio",)
    assert cli.command_modules(["-p", "agreement", "score"]) == ("score",)  # 'agreement' is the folder here
    for args in ([], ["--help"], ["-q"], ["no-such-command"]):
        assert cli.command_modules(args) == cli.COMMAND_MODULES


def test_an_unknown_command_is_refused_as_before():
    run = subprocess.run([sys.executable, "-m", "annotate", "no-such-command"], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 2 and "No such command" in run.stderr


def test_the_agreement_command_imports_no_heavy_library_it_does_not_use():
    probe = (
        "import sys, runpy; sys.argv = ['flywheel', 'agreement', '--help'];\n"
        "try: runpy.run_module('annotate', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "heavy = ('sklearn', 'streamlit', 'torch', 'transformers', 'presidio_analyzer', 'label_studio_sdk', 'scipy', 'trl', 'peft')\n"
        "print('loaded:', *[name for name in heavy if name in sys.modules])"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO)
    assert "Usage" in run.stdout and run.stdout.splitlines()[-1] == "loaded:"
