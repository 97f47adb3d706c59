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
    # tensorflow and tensorflow-cpu fill the same folder: the locks hold tensorflow-cpu on Linux x86_64
    # (requirements/overrides.txt) and tensorflow elsewhere. Remove the other one first (a .venv set
    # up from pyproject has tensorflow), or its later uninstall would delete the locked one's files.
    other=tensorflow-cpu
    [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] && other=tensorflow
    .venv/bin/python -m pip uninstall --quiet --yes "$other" 2>/dev/null || true
    .venv/bin/python -m pip install --quiet --require-hashes -r "$lock"
    .venv/bin/python -m pip install --quiet --no-deps -e .
    touch "$stamp"
fi
