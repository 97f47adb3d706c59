#!/usr/bin/env bash
# Set up (first time) and run lint + the whole test suite; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup_env.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
QT_QPA_PLATFORM=offscreen TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/python -m pytest "$@"
