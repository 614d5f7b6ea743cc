"""examples/round.sh runs one whole round of the flywheel and starts the next, as the README says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_the_round_script_runs_a_whole_round_and_records_the_next(tmp_path):
    flywheel = Path(sys.executable).parent / "flywheel"
    env = {**os.environ, "FLYWHEEL": str(flywheel), "OMP_NUM_THREADS": "1"}
    env.pop("FLYWHEEL_PROJECT", None)
    done = subprocess.run(["bash", str(REPO / "examples" / "round.sh"), str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=900)  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    project = tmp_path / "project"
    report = json.loads((project / "reports" / "round-1" / "report.json").read_text())
    assert [v["name"] for v in report["variants"]] == ["base", "prompt-baseline", "sft-1", "dpo-1"]
    assert report["variants"][3]["run"]["init_adapter"].endswith("sft-1")  # DPO on top of SFT
    expected = "The gate passed" if report["passed"] else "The gate failed (exit 3)"
    assert expected in output
    for line in ("Exported support-sft v1 (sft)", "Exported support-dpo v1 (dpo)", "Trained sft-1 (sft lora, on support-sft v1)",
                 "Round round-2", "Prompt drift: Jensen-Shannon distance"):  # fmt: skip
        assert line in output, line
    rounds = subprocess.run([str(flywheel), "--project", str(project), "round", "report", "round-2", "--json"], env=env,
                            capture_output=True, text=True, check=True)  # fmt: skip
    second = json.loads(rounds.stdout)
    assert second["records"] > 0 and second["previous_round"] == "round-1"
    assert 0 < second["drift"]["jensen_shannon"] <= 1
    assert abs(sum(c["this"] for c in second["drift"]["clusters"]) - 1) < 1e-9
