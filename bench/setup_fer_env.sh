#!/usr/bin/env bash
# Create bench/.venv-fer with the `fer` PyPI package, apart from the app's environment.
# fer's own dependency list pulls facenet-pytorch (and with it a multi-GB torch) for its
# optional MTCNN detector; the comparison uses fer's default Haar cascade path, so fer is
# installed without dependencies and given exactly what that path imports.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
if [ ! -x .venv-fer/bin/python ]; then
    "$PYTHON" -m venv .venv-fer
    .venv-fer/bin/python -m pip install --quiet --upgrade pip
fi
.venv-fer/bin/python -m pip install --quiet tensorflow opencv-contrib-python requests "setuptools<81" pillow
.venv-fer/bin/python -m pip install --quiet --no-deps "fer==25.10.3"
.venv-fer/bin/python -c "import fer, sys; print('fer', fer.__version__ if hasattr(fer, '__version__') else '?', sys.version.split()[0])"
