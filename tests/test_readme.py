"""The README's generated parts are current, and what it promises exists."""

from __future__ import annotations

import re

from annotate.cli.reference import rewrite
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_command_and_config_references_are_current():
    assert rewrite(README) == README, "the README's references are stale: run `make readme`"


def test_every_command_appears_in_the_reference_and_every_screenshot_and_path_it_names_exists():
    assert "`flywheel eval [--base BASE]" in README and "`flywheel round report [ROUND] [--json]`" in README
    assert "`eval.gate.max_perplexity_increase` | `0.05`" in README
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        assert (REPO / image).is_file(), image
    for path in ("examples/round.sh", "data/sample/demo_answers.jsonl", "data/sample/prompt_baseline.toml",
                 "train/configs/accelerate-ddp.yaml", "train/configs/accelerate-fsdp.yaml"):  # fmt: skip
        assert path in README and (REPO / path).exists(), path
