"""Where things live: bundled assets (also inside a PyInstaller bundle) and user data.

Bundled files are found relative to the code, never through the working
directory; user-trained models and settings go to the platform's per-user
data folder, never into the installation.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "fer-desktop"
DEFAULT_MODEL_NAME = "fer_default.keras"
FACE_DETECTOR_NAME = "face_detection_short_range.tflite"
# BlazeFace for the back camera: 256x256 input, for faces from about 4% of the frame width.
FAR_FACE_DETECTOR_NAME = "face_detection_back.tflite"


def bundle_root() -> Path:
    """The folder that holds ``assets/``: the PyInstaller bundle or the source tree."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def assets_dir() -> Path:
    return bundle_root() / "assets"


def default_model_path() -> Path:
    return assets_dir() / "models" / DEFAULT_MODEL_NAME


def face_detector_model_path() -> Path:
    return assets_dir() / "mediapipe" / FACE_DETECTOR_NAME


def far_face_detector_model_path() -> Path:
    return assets_dir() / "mediapipe" / FAR_FACE_DETECTOR_NAME


def user_data_dir() -> Path:
    """Per-user data folder; ``FER_DESKTOP_DATA_DIR`` overrides it (tests, portable installs)."""
    override = os.environ.get("FER_DESKTOP_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def user_models_dir() -> Path:
    return user_data_dir() / "models"


def is_app_model_location(model_path: str | Path) -> bool:
    """Whether a model lies where only this app writes models (the bundle, the user's models)."""
    resolved = Path(model_path).resolve()
    roots = (assets_dir() / "models", user_models_dir())
    return any(root.resolve() in resolved.parents for root in roots)


def snapshots_dir() -> Path:
    """Where Snapshot saves annotated frames: the user's Pictures folder."""
    if os.environ.get("FER_DESKTOP_DATA_DIR"):
        return user_data_dir() / "snapshots"
    from platformdirs import user_pictures_path

    return user_pictures_path() / "FER Desktop"


def recordings_dir() -> Path:
    """Where Record saves sessions unless the user picks a folder: the user's Videos folder."""
    if os.environ.get("FER_DESKTOP_DATA_DIR"):
        return user_data_dir() / "recordings"
    from platformdirs import user_videos_path

    return user_videos_path() / "FER Desktop"
