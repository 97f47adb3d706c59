#!/usr/bin/env bash
# Set up (first time) and run lint + the whole test suite; extra arguments go to pytest.
#   scripts/run_tests.sh            everything (what .ci/run runs): lint, every test, the bundle build
#   scripts/run_tests.sh --quick    lint + the quick lane for the edit loop: -m "not slow and not bundle"
set -euo pipefail
cd "$(dirname "$0")/.."
lane=()
if [[ "${1:-}" == "--quick" ]]; then
    shift
    lane=(-m "not slow and not bundle")
fi
scripts/setup_env.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
QT_QPA_PLATFORM=offscreen TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/python -m pytest ${lane[@]+"${lane[@]}"} "$@"
