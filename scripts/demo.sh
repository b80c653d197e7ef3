#!/usr/bin/env bash
# Set up, then run every stage over the bundled demo stream and show the status.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/socialbot run --once
.venv/bin/socialbot status
