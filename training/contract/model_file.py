"""What a model file must be before anything loads it (an intact ``.keras`` zip archive), and
which model a file is (its name and SHA-256).

Kept apart from ``training.model`` so the app can check a file without importing Keras.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
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


@dataclass(frozen=True)
class ModelIdentity:
    """Which model answered: its file name and the SHA-256 of its bytes.

    A path alone does not say it (the active model's file may be replaced, two folders may hold
    the same name), so every result that names its model records both.
    """

    path: Path
    sha256: str

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def short_sha(self) -> str:
        return self.sha256[:8]

    def describe(self) -> str:
        """``fer_default (sha 1a2b3c4d)``: how a person is told which model it was."""
        return f"{self.path.stem} (sha {self.short_sha})"

    def record(self) -> dict[str, str]:
        """The keys every JSON output adds for its model."""
        return {"model_file": self.file, "model_sha256": self.sha256}


def model_identity(path: str | Path) -> ModelIdentity:
    """The identity of the model file at ``path`` (reads the whole file: a few MB)."""
    from training.contract.tflite_copy import file_sha256

    return ModelIdentity(Path(path), file_sha256(path))
