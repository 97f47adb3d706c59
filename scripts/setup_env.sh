#!/usr/bin/env bash
# Create .venv (if missing) and install FER Desktop into it, with extras given as "$1" (e.g. "test").
# Skips the install when nothing changed since the last one (pyproject.toml older than the stamp).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi
target="."
[ -n "${1:-}" ] && target=".[$1]"
stamp=".venv/.installed-${1:-app}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet -e "$target"
    touch "$stamp"
fi
