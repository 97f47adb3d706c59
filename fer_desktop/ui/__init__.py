"""The Qt layer: the only package of FER Desktop that imports Qt."""

from __future__ import annotations

import os
from pathlib import Path

import cv2  # noqa: F401 - imported first so that its environment changes can be undone below


def _drop_opencv_qt_paths() -> None:
    """Undo the Qt 5 plugin paths that ``import cv2`` puts into the environment.

    The non-headless OpenCV wheel (which MediaPipe requires) points
    ``QT_QPA_PLATFORM_PLUGIN_PATH`` at its own Qt 5 plugins; PySide6 (Qt 6)
    then fails to load its ``xcb`` platform plugin on a real display.
    """
    for key in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR"):
        value = os.environ.get(key)
        if value and "cv2" in Path(value).parts:
            del os.environ[key]


_drop_opencv_qt_paths()
