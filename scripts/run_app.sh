#!/usr/bin/env bash
# Set up (first time) and launch the FER Desktop GUI; extra arguments go to fer-desktop.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup_env.sh
exec .venv/bin/fer-desktop "$@"
