"""Cameras by name (the `cv2-enumerate-cameras` package) and the resolutions offered for them.

Plain Python (no Qt). Enumeration is best effort: where it fails or finds nothing
(no camera, an unsupported platform or backend), the Live tab falls back to a
plain camera number, which OpenCV understands everywhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

# What the resolution box offers; None leaves the camera at its own default.
RESOLUTIONS: dict[str, tuple[int, int] | None] = {
    "Default": None,
    "640x480": (640, 480),
    "1280x720": (1280, 720),
    "1920x1080": (1920, 1080),
}


@dataclass(frozen=True)
class Camera:
    index: int  # what cv2.VideoCapture takes (may include a backend offset, e.g. 700 for DirectShow)
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} (#{self.index})"


def enumerate_cameras():
    """The package's own listing (a separate function so tests can replace it)."""
    from cv2_enumerate_cameras import enumerate_cameras as listing

    return listing()


def list_cameras() -> list[Camera]:
    """Cameras OpenCV can open, by name, each index once; [] when enumeration fails."""
    try:
        found = list(enumerate_cameras())
    except Exception as exc:  # a missing backend or a driver error must not stop the app
        log.warning("listing cameras failed: %s", exc)
        return []
    cameras: dict[int, Camera] = {}
    for info in found:
        index = getattr(info, "index", None)
        if isinstance(index, int) and index not in cameras:
            cameras[index] = Camera(index, str(getattr(info, "name", "") or f"Camera {index}"))
    return sorted(cameras.values(), key=lambda c: c.index)


def find_camera(cameras: list[Camera], name: str | None, index: int | None) -> int | None:
    """Where the chosen camera is in ``cameras``: by name and number, else by name, else by number.

    A camera plugged in may take the number another had, so the name counts first;
    two cameras of one model share a name, so the number breaks the tie.
    """
    for matches in (
        [i for i, c in enumerate(cameras) if (c.name, c.index) == (name, index)],
        [i for i, c in enumerate(cameras) if c.name == name],
        [i for i, c in enumerate(cameras) if c.index == index],
    ):
        if matches:
            return matches[0]
    return None
