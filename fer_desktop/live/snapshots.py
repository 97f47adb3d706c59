"""Saving annotated frames."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from training.contract.atomic import atomic_path


def save_snapshot(image: np.ndarray, folder: str | Path) -> Path:
    """Write ``image`` as a PNG with a timestamped name; never overwrites an existing file."""
    folder = Path(folder)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = folder / f"fer-snapshot-{stamp}.png"
    n = 1
    while dest.exists():
        n += 1
        dest = folder / f"fer-snapshot-{stamp}-{n}.png"
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise OSError("could not encode the snapshot as PNG")
    with atomic_path(dest) as tmp:
        tmp.write_bytes(buf.tobytes())
    return dest
