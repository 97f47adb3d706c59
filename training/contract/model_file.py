"""What a model file must be before anything loads it: an intact ``.keras`` zip archive.

Kept apart from ``training.model`` so the app can check a file without importing Keras.
"""

from __future__ import annotations

import zipfile
from pathlib import Path


class ModelFileError(ValueError):
    """A model file that is missing, not a ``.keras`` file, or corrupt; the message says which."""


# What Keras writes into every .keras archive (keras/src/saving/saving_lib.py).
KERAS_ARCHIVE_MEMBERS = ("config.json", "metadata.json")


def check_model_file(path: str | Path) -> Path:
    """Refuse anything but an intact ``.keras`` zip archive, before Keras sees it.

    Only the ``.keras`` format is loaded in safe mode: a legacy ``.h5`` file goes through
    another loader.  Keras answers a corrupt archive with "File not found", which misleads
    a user looking at the file; this says what is wrong instead.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    if path.suffix.lower() != ".keras":
        raise ModelFileError(
            f"{path.name}: only .keras model files are accepted (Keras 3 format); "
            f"{path.suffix or 'a file without extension'} files are refused"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            broken = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ModelFileError(f"{path.name} is corrupt: not a valid .keras file ({exc})") from exc
    if broken is not None:
        raise ModelFileError(f"{path.name} is corrupt: not a valid .keras file ({broken} is damaged)")
    missing = [m for m in KERAS_ARCHIVE_MEMBERS if m not in names]
    if missing:
        raise ModelFileError(f"{path.name} is corrupt: not a valid .keras file (no {', '.join(missing)})")
    return path
