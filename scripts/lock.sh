#!/usr/bin/env bash
# Refresh the lock files from pyproject.toml's ranges: the newest versions that satisfy them today,
# pinned with hashes, for every platform and Python >= 3.10 (uv's universal resolution).
#   scripts/lock.sh                      ->  requirements/test.txt, app.txt, build.txt
# Extra arguments go to every `uv pip compile` (e.g. --upgrade-package keras instead of upgrading all:
# scripts/lock.sh --no-upgrade --upgrade-package keras).
# test.txt is resolved first; app.txt and build.txt are constrained to it, so one .venv can move
# between the three without changing a version. The locks hold tensorflow-cpu (Linux x86_64) and
# opencv-python-headless in place of pyproject's tensorflow and opencv-contrib-python
# (requirements/overrides.txt says why; lock-inputs.in).
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
if [ ! -x .venv-lock/bin/uv ]; then
    "${PYTHON:-python3}" -m venv .venv-lock
    .venv-lock/bin/python -m pip install --quiet "uv==$UV_VERSION"
fi
upgrade=(--upgrade)
args=()
for a in "$@"; do
    if [ "$a" = "--no-upgrade" ]; then upgrade=(); else args+=("$a"); fi
done
compile() {
    .venv-lock/bin/uv pip compile --quiet --universal --python-version 3.10 --generate-hashes \
        --custom-compile-command scripts/lock.sh --override requirements/overrides.txt \
        pyproject.toml requirements/lock-inputs.in "$@"
}
compile "${upgrade[@]}" "${args[@]}" --extra test -o requirements/test.txt
compile "${args[@]}" -c requirements/test.txt -o requirements/app.txt
compile "${args[@]}" -c requirements/test.txt --extra build -o requirements/build.txt
echo "locked: $(grep -c '^[a-z]' requirements/test.txt) pins in test.txt, $(grep -c '^[a-z]' requirements/app.txt) in app.txt, $(grep -c '^[a-z]' requirements/build.txt) in build.txt"
