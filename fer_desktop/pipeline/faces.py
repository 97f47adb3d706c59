"""Face detection (MediaPipe Tasks, BlazeFace short range) and square face crops."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.paths import face_detector_model_path
from training.contract.preprocess import CROP_MARGIN

# Share of the face box added on each side of a crop (see square_crop_box); the framing the model expects.


@dataclass(frozen=True)
class Box:
    """A face box in pixel coordinates of the full frame."""

    x: int
    y: int
    w: int
    h: int
    score: float = 1.0

    @property
    def area(self) -> int:
        return self.w * self.h

    def iou(self, other: Box) -> float:
        ix = max(0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0


class FaceDetectorError(RuntimeError):
    pass


# A photo's second look for a face that fills it: measured on sfew_dev's 27 film stills without a
# detected face, a grey border of 25% found 19 (50%: 17; a repeated border: 9-11). Only a box
# covering half the photo or more counts (18 of those 19): on photos without a face (a coffee cup,
# cats) the padded look found boxes of 6-35% of the photo.
CLOSE_UP_PAD = 0.25
CLOSE_UP_MIN_SHARE = 0.5


class FaceDetector:
    """Every face in a BGR frame.  Close it (or use ``with``) to free MediaPipe's graph."""

    def __init__(self, model_path: str | Path | None = None, min_confidence: float = 0.5):
        from fer_desktop.runtime_imports import import_mediapipe

        self._mp = import_mediapipe()
        from mediapipe.tasks.python.core.base_options import BaseOptions
        from mediapipe.tasks.python.vision import face_detector

        path = Path(model_path) if model_path else face_detector_model_path()
        if not path.is_file():
            raise FaceDetectorError(f"Face detector model missing: {path}")
        options = face_detector.FaceDetectorOptions(
            # Bytes, not a path: MediaPipe's own path handling breaks on some unicode/bundle paths.
            base_options=BaseOptions(model_asset_buffer=path.read_bytes()),
            min_detection_confidence=min_confidence,
        )
        self._detector = face_detector.FaceDetector.create_from_options(options)

    def detect(self, bgr: np.ndarray) -> list[Box]:
        mp = self._mp
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if bgr.ndim == 3 else cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
        result = self._detector.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
        height, width = rgb.shape[:2]
        boxes = []
        for det in result.detections:
            bb = det.bounding_box
            x0, y0 = max(0, bb.origin_x), max(0, bb.origin_y)
            x1, y1 = min(width, bb.origin_x + bb.width), min(height, bb.origin_y + bb.height)
            if x1 - x0 < 4 or y1 - y0 < 4:
                continue
            score = det.categories[0].score if det.categories else 1.0
            boxes.append(Box(int(x0), int(y0), int(x1 - x0), int(y1 - y0), float(score)))
        return boxes

    def detect_close_up(self, bgr: np.ndarray, pad: float = CLOSE_UP_PAD) -> list[Box]:
        """Faces that fill the photo (a face crop, a close selfie), which BlazeFace misses: it was
        trained on faces with surroundings. Detects on a copy with a grey border of ``pad`` times
        the longer side, and returns the boxes that cover at least ``CLOSE_UP_MIN_SHARE`` of the
        photo, in its coordinates and clamped to it."""
        height, width = bgr.shape[:2]
        p = max(1, round(max(height, width) * pad))
        padded = cv2.copyMakeBorder(bgr, p, p, p, p, cv2.BORDER_CONSTANT, value=(128, 128, 128))
        boxes = []
        for b in self.detect(padded):
            x0, y0 = max(0, b.x - p), max(0, b.y - p)
            x1, y1 = min(width, b.x + b.w - p), min(height, b.y + b.h - p)
            if (x1 - x0) * (y1 - y0) >= CLOSE_UP_MIN_SHARE * width * height:
                boxes.append(Box(x0, y0, x1 - x0, y1 - y0, b.score))
        return boxes

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None

    def __enter__(self) -> FaceDetector:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def square_crop_box(
    box: Box, image_shape: tuple[int, ...], margin: float = CROP_MARGIN
) -> tuple[int, int, int, int]:
    """A square around ``box`` enlarged by ``margin`` per side, clamped at the image border.

    Returns (x0, y0, x1, y1).  FER2013 faces are framed loosely (forehead and
    chin included); BlazeFace boxes are tight, so a margin brings crops closer
    to what the model was trained on.
    """
    height, width = image_shape[:2]
    cx, cy = box.x + box.w / 2.0, box.y + box.h / 2.0
    side = max(box.w, box.h) * (1.0 + 2.0 * margin)
    side = min(side, width, height)
    x0 = round(min(max(cx - side / 2.0, 0.0), width - side))
    y0 = round(min(max(cy - side / 2.0, 0.0), height - side))
    s = round(side)
    return x0, y0, min(width, x0 + s), min(height, y0 + s)


def crop_face(image: np.ndarray, box: Box, margin: float = CROP_MARGIN) -> np.ndarray:
    x0, y0, x1, y1 = square_crop_box(box, image.shape, margin)
    return image[y0:y1, x0:x1]
