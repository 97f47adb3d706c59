"""Face detection (MediaPipe's BlazeFace models, near and far) and square face crops."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.paths import face_detector_model_path, far_face_detector_model_path
from fer_desktop.pipeline.blazeface import (
    BACK_INPUT,
    BACK_STRIDES,
    BlazeFace,
    Detection,
    TasksBlazeFace,
    shrink,
)
from training.contract.preprocess import CROP_MARGIN


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

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2.0, self.y + self.h / 2.0

    def iou(self, other: Box) -> float:
        ix = max(0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def inside_share(self, other: Box) -> float:
        """The share of this box that lies inside ``other``."""
        ix = max(0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        return ix * iy / self.area if self.area > 0 else 0.0


class FaceDetectorError(RuntimeError):
    pass


# A photo's second look for a face that fills it: measured on sfew_dev's 27 film stills without a
# detected face, a grey border of 25% found 19 (50%: 17; a repeated border: 9-11). Only a box
# covering half the photo or more counts (18 of those 19): on photos without a face (a coffee cup,
# cats) the padded look found boxes of 6-35% of the photo.
CLOSE_UP_PAD = 0.25
CLOSE_UP_MIN_SHARE = 0.5

# The smallest face reported, as a share of the frame's longer side: the app promises faces from
# 4%; smaller finds were mostly texture (and a 15-pixel face is too small to read an emotion on).
MIN_FACE_SHARE = 0.03
# BlazeFace boxes are near squares; a box far from one is background (measured: faces 0.8-1.25).
MIN_ASPECT, MAX_ASPECT = 0.6, 1.6
# The far model's own threshold, below the near one: each of its finds gets a closer look, which
# turns down what is no face; at 0.6 it missed a tenth of the faces of 4-5% in group photos.
FAR_MIN_SCORE = 0.4
# The near model's whole-frame boxes are taken as they are from this share of the frame's
# longer side up. Below (it finds every face from 14%, a third of those of 10%, and boxes some
# small faces with their head and shoulders) they are looked at again closer, like the far
# model's finds.
SURE_SHARE = 0.2
# Frames larger than this (pixels, longer side) get the far model on four overlapping quarters,
# each this share of the frame's width and height: a face up to a fifth of it lies whole in one.
TILE_FROM = 1100
TILE_SHARE = 0.6
# The closer look: the near model on a square this many box widths wide around a box, where a
# face fills about a third of the view.
AROUND_SCALE = 3.0
# In a video, a small face's whole-frame near box that overlaps this much with the box the face
# had a frame before, with no other face within two face widths, is taken as it is: the closer
# look already fitted and checked that face. Faces about to cross still get the closer look
# (whole-frame boxes of faces side by side slip and swap ids).
KNOWN_IOU = 0.8


@dataclass(frozen=True)
class _Look:
    """A closer look around ``box``, keeping faces of ``low`` to ``high`` times its width."""

    box: Box
    low: float = 0.6
    high: float = 1.7


class FaceDetector:
    """Every face in a BGR frame, from about 4% of its longer side up.

    Two BlazeFace models on LiteRT: the short-range ("near") one on the whole frame, the
    back-camera ("far") one for faces down to about 4% of it. Whatever either finds below a
    fifth of the frame is looked at again closer with the near model, which fits the box and
    turns down what is no face. A video runs the far model only now and then and hands in
    the faces it follows as ``hints`` (see :class:`fer_desktop.pipeline.finder.FaceFinder`).
    Close it (or use ``with``) to free the models.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        min_confidence: float = 0.5,
        far_model_path: str | Path | None = None,
    ):
        near = Path(model_path) if model_path else face_detector_model_path()
        far = Path(far_model_path) if far_model_path else far_face_detector_model_path()
        for path in (near, far):
            if not path.is_file():
                raise FaceDetectorError(f"Face detector model missing: {path}")
        try:
            try:
                self._near = BlazeFace(near, NEAR_INPUT, NEAR_STRIDES)
                self._far = BlazeFace(far, BACK_INPUT, BACK_STRIDES)
            except ImportError:  # no LiteRT wheel for this platform: near faces only
                self._near, self._far = TasksBlazeFace(near), None
        except (ImportError, ValueError, RuntimeError) as exc:
            raise FaceDetectorError(f"Cannot start the face detector: {exc}") from exc
        self.min_confidence = min_confidence
        self._lock = threading.Lock()  # a LiteRT interpreter takes one call at a time

    def detect(
        self, bgr: np.ndarray, far: bool = True, hints: list[Box] = (), known: list[Box] = ()
    ) -> list[Box]:
        """The faces of the frame. ``far=False`` skips the far model (about 8 ms here);
        ``hints`` are boxes where a face was a moment ago, looked at closer too; ``known`` are
        the faces of the frame before, whose near boxes need no second look (half the cost of
        following a small face)."""
        image = to_bgr(bgr)
        side = max(image.shape[:2])
        # Both models see the frame at 256 pixels or less: shrink it once for both.
        small, k = preview(image, BACK_INPUT if far else NEAR_INPUT)
        with self._lock:
            self._check_open()
            near = self._whole(self._near, small, k, image.shape, self.min_confidence)
            sure = [b for b in near if max(b.w, b.h) >= SURE_SHARE * side or still_known(b, known, near)]
            looks = [_Look(b, 0.4, 1.2) for b in near if b not in sure]
            if far and self._far is not None:
                looks += [_Look(b) for b in self._far_pass(image, small, k)]
            looks += [_Look(b) for b in hints]
            looks = [look for look in looks if not any(overlaps(look.box, s) for s in sure)]
            found = self._look(image, distinct(looks))
        smallest = MIN_FACE_SHARE * side
        return merge_boxes([b for b in sure + found if max(b.w, b.h) >= smallest])

    def _far_pass(self, image: np.ndarray, small: np.ndarray, k: float) -> list[Box]:
        """The far model's finds. A frame over ``TILE_FROM`` pixels is seen as four overlapping
        quarters, each at the model's full 256 pixels: at 1600x1200 a face of 4.4% is then 19
        pixels to the model instead of 11 (it missed one in fifteen of those whole)."""
        threshold = min(self.min_confidence, FAR_MIN_SCORE)
        height, width = image.shape[:2]
        if max(height, width) <= TILE_FROM:
            return self._whole(self._far, small, k, image.shape, threshold)
        th, tw = round(height * TILE_SHARE), round(width * TILE_SHARE)
        found = []
        for y0 in (0, height - th):
            for x0 in (0, width - tw):
                tile, kt = preview(image[y0 : y0 + th, x0 : x0 + tw], BACK_INPUT)
                for d in self._far.detect(tile, threshold):
                    found.append(
                        Detection(d.x0 * kt + x0, d.y0 * kt + y0, d.x1 * kt + x0, d.y1 * kt + y0, d.score)
                    )
        return merge_boxes(to_boxes(found, image.shape))

    def _whole(
        self, model, small: np.ndarray, k: float, shape: tuple[int, ...], threshold: float
    ) -> list[Box]:
        return merge_boxes(to_boxes([scaled(d, k) for d in model.detect(small, threshold)], shape))

    def _look(self, image: np.ndarray, looks: list[_Look]) -> list[Box]:
        """The near model's closer look around each box: it finds again a far face a video
        follows, fits the boxes of small faces, and turns down the far model's mistakes (on
        textures, a coffee cup or a cat's face it fires where the closer view shows no face)."""
        height, width = image.shape[:2]
        found = []
        for look in looks:
            box = look.box
            half = max(box.w, box.h) * AROUND_SCALE / 2
            cx, cy = box.centre
            x0, y0 = max(0, round(cx - half)), max(0, round(cy - half))
            x1, y1 = min(width, round(cx + half)), min(height, round(cy + half))
            if x1 - x0 < 8 or y1 - y0 < 8:
                continue
            for d in self._near.detect(image[y0:y1, x0:x1], self.min_confidence):
                # A much smaller box is a part of the face (an eye, the hairline), a much larger
                # one a face nearby or the head and shoulders.
                if look.low < (d.x1 - d.x0) / max(box.w, 1) < look.high:
                    found.append(Detection(d.x0 + x0, d.y0 + y0, d.x1 + x0, d.y1 + y0, d.score))
        return merge_boxes(to_boxes(found, image.shape))

    def detect_close_up(self, bgr: np.ndarray, pad: float = CLOSE_UP_PAD) -> list[Box]:
        """Faces that fill the photo (a face crop, a close selfie), which BlazeFace misses: it was
        trained on faces with surroundings. Detects on a copy with a grey border of ``pad`` times
        the longer side, and returns the boxes that cover at least ``CLOSE_UP_MIN_SHARE`` of the
        photo, in its coordinates and clamped to it."""
        height, width = bgr.shape[:2]
        p = max(1, round(max(height, width) * pad))
        padded = cv2.copyMakeBorder(bgr, p, p, p, p, cv2.BORDER_CONSTANT, value=(128, 128, 128))
        boxes = []
        for b in self.detect(padded, far=False):
            x0, y0 = max(0, b.x - p), max(0, b.y - p)
            x1, y1 = min(width, b.x + b.w - p), min(height, b.y + b.h - p)
            if (x1 - x0) * (y1 - y0) >= CLOSE_UP_MIN_SHARE * width * height:
                boxes.append(Box(x0, y0, x1 - x0, y1 - y0, b.score))
        return boxes

    def _check_open(self) -> None:
        if self._near is None:
            raise FaceDetectorError("the face detector was closed")

    @property
    def finds_far_faces(self) -> bool:
        """False where LiteRT has no wheel: only faces from about 13% of the frame are found."""
        return self._far is not None

    def close(self) -> None:
        with self._lock:
            if isinstance(self._near, TasksBlazeFace):
                self._near.close()
            self._near = self._far = None

    def __enter__(self) -> FaceDetector:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def overlaps(a: Box, b: Box) -> bool:
    return a.iou(b) > 0.3 or a.inside_share(b) >= 0.6


def still_known(box: Box, known: list[Box], near: list[Box]) -> bool:
    """``box`` is where a face of the frame before was, and no other face is close to it."""
    if not any(box.iou(k) >= KNOWN_IOU for k in known):
        return False
    reach = 2.0 * max(box.w, box.h)
    cx, cy = box.centre
    others = [o.centre for o in (*known, *near) if o.iou(box) < KNOWN_IOU]
    return all(max(abs(ox - cx), abs(oy - cy)) > reach for ox, oy in others)


def distinct(looks: list[_Look]) -> list[_Look]:
    """One look per place: of looks at overlapping boxes, the first."""
    kept: list[_Look] = []
    for look in looks:
        if not any(look.box.iou(k.box) > 0.5 for k in kept):
            kept.append(look)
    return kept


# The short-range model's anchors: one layer at stride 8, three at stride 16 (MediaPipe's graph).
NEAR_INPUT = 128
NEAR_STRIDES = (8, 16, 16, 16)


def preview(image: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """``image`` shrunk to ``side`` pixels on its longer side (unchanged when smaller), and the
    factor back to its pixels."""
    height, width = image.shape[:2]
    k = max(height, width) / side
    if k <= 1:
        return image, 1.0
    w, h = max(1, round(width / k)), max(1, round(height / k))
    return shrink(image, w, h), width / w


def scaled(d: Detection, k: float) -> Detection:
    return Detection(d.x0 * k, d.y0 * k, d.x1 * k, d.y1 * k, d.score)


def to_bgr(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)


def to_boxes(found: list, shape: tuple[int, ...]) -> list[Box]:
    """Detections clamped to the frame, without slivers at its edge or shapes no face has."""
    height, width = shape[:2]
    boxes = []
    for d in found:
        x0, y0 = max(0, round(d.x0)), max(0, round(d.y0))
        x1, y1 = min(width, round(d.x1)), min(height, round(d.y1))
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        if not MIN_ASPECT <= (d.x1 - d.x0) / max(d.y1 - d.y0, 1e-6) <= MAX_ASPECT:
            continue
        boxes.append(Box(x0, y0, x1 - x0, y1 - y0, d.score))
    return boxes


def merge_boxes(boxes: list[Box], iou: float = 0.3) -> list[Box]:
    """One box per face: of boxes that overlap (the two models, two looks), the best scored;
    a box mostly inside a better one (a face found twice at two sizes) goes too. A box that
    holds two smaller ones is two faces side by side seen as one, and goes itself."""
    whole = [
        b
        for b in boxes
        if sum(o is not b and o.area < 0.6 * b.area and o.inside_share(b) >= 0.6 for o in boxes) < 2
    ]
    kept: list[Box] = []
    for box in sorted(whole, key=lambda b: -b.score):
        if all(box.iou(k) <= iou and box.inside_share(k) < 0.6 and k.inside_share(box) < 0.6 for k in kept):
            kept.append(box)
    return kept


def square_crop_box(
    box: Box, image_shape: tuple[int, ...], margin: float = CROP_MARGIN
) -> tuple[int, int, int, int]:
    """A square around ``box`` enlarged by ``margin`` per side, clamped at the image border.

    Returns (x0, y0, x1, y1).  FER2013 faces are framed loosely (forehead and
    chin included); BlazeFace boxes are tight, so a margin brings crops closer
    to what the model was trained on.
    """
    height, width = image_shape[:2]
    cx, cy = box.centre
    side = max(box.w, box.h) * (1.0 + 2.0 * margin)
    side = min(side, width, height)
    x0 = round(min(max(cx - side / 2.0, 0.0), width - side))
    y0 = round(min(max(cy - side / 2.0, 0.0), height - side))
    s = round(side)
    return x0, y0, min(width, x0 + s), min(height, y0 + s)


def crop_face(image: np.ndarray, box: Box, margin: float = CROP_MARGIN) -> np.ndarray:
    x0, y0, x1, y1 = square_crop_box(box, image.shape, margin)
    return image[y0:y1, x0:x1]
