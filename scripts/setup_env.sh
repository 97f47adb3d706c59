#!/usr/bin/env bash
# Create .venv (if missing) and install FER Desktop into it from the lock file of "$1" (app when
# empty, test, build): requirements/$1.txt pins every package with its hashes (scripts/lock.sh
# refreshes it), then the project itself goes in editable without dependencies.
# Skips the install when nothing changed since the last one (lock and pyproject older than the stamp).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
extra=${1:-app}
lock="requirements/$extra.txt"
[ -f "$lock" ] || { echo "no lock file $lock (extras: app, test, build)" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi
stamp=".venv/.installed-$extra"
if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    # The locks hold other builds of two of pyproject's packages (requirements/overrides.txt says why):
    # opencv-python-headless, and tensorflow-cpu on Linux x86_64. Each fills the same folder as the
    # package it replaces, so remove what an install from pyproject left first, or its later
    # uninstall would delete the locked build's files.
    replaced=(opencv-contrib-python opencv-contrib-python-headless opencv-python tensorflow-cpu)
    [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] && replaced[3]=tensorflow
    .venv/bin/python -m pip uninstall --quiet --yes "${replaced[@]}" 2>/dev/null || true
    .venv/bin/python -m pip install --quiet --require-hashes --no-deps -r "$lock"
    .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
    .venv/bin/python scripts/check_env.py "$extra"
    touch "$stamp"
fi
