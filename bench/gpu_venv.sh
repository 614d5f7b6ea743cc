# Sourced by the GPU scripts (bench/train_gpu.sh, bench/experiment_gpu.sh): $VENV with the train
# extra, and a torch that sees the GPU. Creates $VENV when it has no python; when its torch has no
# CUDA (the CPU wheel that local-disk pip configs hand out), reinstalls torch at the same version
# from PyPI (pip config ignored), whose Linux build has CUDA. SMOKE=1 skips the CUDA check.
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e '.[train]'
fi
if [ "${SMOKE:-0}" != 1 ] && ! "$VENV/bin/python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    version=$("$VENV/bin/python" -c 'import torch; print(torch.__version__.split("+")[0])')
    echo "torch $version in $VENV sees no GPU: reinstalling torch==$version from PyPI (its CUDA build)" >&2
    "$VENV/bin/python" -m pip uninstall -q -y torch
    env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
        "$VENV/bin/python" -m pip install -q --index-url https://pypi.org/simple "torch==$version"
    "$VENV/bin/python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else "still no GPU visible to torch")'
fi
