"""Benchmark inputs built from real face photos (scikit-image's samples), never from datasets."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def face_tile(size: int) -> np.ndarray:
    from skimage import data

    astronaut = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    face = astronaut[30:260, 140:320]
    return cv2.resize(face, (size, int(size * face.shape[0] / face.shape[1])))


def write_face_video(path: Path, seconds: float = 30.0, fps: float = 30.0, faces: int = 1) -> Path:
    """A 640x480 video with ``faces`` faces drifting slowly, so detection works every frame."""
    size = 200 if faces == 1 else 140
    tile = face_tile(size)
    th, tw = tile.shape[:2]
    slots = [(220, 90)] if faces == 1 else [(20, 20), (340, 20), (20, 250), (340, 250)][:faces]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write MJPG video")
    for i in range(int(seconds * fps)):
        frame = np.full((480, 640, 3), 80, dtype=np.uint8)
        dx = int(20 * np.sin(i / 25.0))
        for x, y in slots:
            x = min(max(x + dx, 0), 640 - tw)
            frame[y : y + th, x : x + tw] = tile
        writer.write(frame)
    writer.release()
    return path


def write_face_photos(folder: Path, count: int) -> Path:
    """``count`` 640x480 JPEGs, each with one face at a different place and size."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    tiles = {size: face_tile(size) for size in (160, 200, 240)}
    for i in range(count):
        tile = tiles[(160, 200, 240)[i % 3]]
        th, tw = tile.shape[:2]
        frame = np.full((480, 640, 3), rng.integers(40, 200), dtype=np.uint8)
        x, y = int(rng.integers(0, 640 - tw)), int(rng.integers(0, 480 - th))
        frame[y : y + th, x : x + tw] = tile
        cv2.imwrite(str(folder / f"photo_{i:04d}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return folder


def write_face_crops(root: Path, names: list[str], per_class: int) -> Path:
    """A class-folder dataset (``root/<name>/crop_N.png``) of 96x96 face crops that ``train`` reads.

    Every class holds the same face, shifted, scaled and lit differently per image: enough for a
    training run to go through its whole path, not for learning emotions.
    """
    rng = np.random.default_rng(0)
    tile = face_tile(160)
    for name in names:
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            x, y = (int(v) for v in rng.integers(0, 30, 2))
            crop = tile[y : y + 130, x : x + 130].astype(np.float32) * rng.uniform(0.6, 1.3)
            crop = cv2.resize(np.clip(crop, 0, 255).astype(np.uint8), (96, 96))
            cv2.imwrite(str(folder / f"crop_{i}.png"), crop)
    return root
