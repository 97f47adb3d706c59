#!/usr/bin/env bash
# Build the one-folder desktop app with PyInstaller and smoke-test it.
#   scripts/build_app.sh        ->  dist/fer-desktop/fer-desktop
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup_env.sh build
start=$(date +%s)
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN build.spec
echo "build took $(( $(date +%s) - start )) s; size $(du -sh dist/fer-desktop | cut -f1)"
.venv/bin/python -m scripts.smoke_test_bundle dist/fer-desktop/fer-desktop
