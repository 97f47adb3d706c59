"""A BlazeFace model run on LiteRT directly: anchors, box decoding and weighted suppression.

MediaPipe Tasks runs only the short-range model (128x128, faces from about 13% of the
frame's longer side). Its back-camera sibling (256x256, the same 896-anchor layout at twice
the stride) finds faces down to about 4% of the frame, but Tasks cannot load it, so it is
run here the way MediaPipe's own graph ran it: letterboxed into the square input, pixels
scaled to [-1, 1], boxes decoded from fixed anchors, overlapping boxes blended by score.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

# The back-camera model's anchors (SsdAnchorsCalculator in MediaPipe's graph for it): one
# layer at stride 16 and three at stride 32, two anchors per cell and layer.
BACK_INPUT = 256
BACK_STRIDES = (16, 32, 32, 32)
SUPPRESSION_IOU = 0.3


@dataclass(frozen=True)
class Detection:
    """A box in pixels of the image it was found in: (x0, y0, x1, y1), and its score."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float


def ssd_anchors(input_size: int, strides: tuple[int, ...]) -> np.ndarray:
    """(N, 2) anchor centres in [0, 1]: two per cell for each layer, layers of one stride merged."""
    centres = []
    i = 0
    while i < len(strides):
        stride, per_cell = strides[i], 0
        while i < len(strides) and strides[i] == stride:
            per_cell += 2
            i += 1
        cells = int(np.ceil(input_size / stride))
        grid = (np.arange(cells) + 0.5) / cells
        xs, ys = np.meshgrid(grid, grid)
        centres.append(np.repeat(np.stack([xs.ravel(), ys.ravel()], axis=1), per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


def weighted_suppression(
    boxes: np.ndarray, scores: np.ndarray, iou: float = SUPPRESSION_IOU
) -> list[Detection]:
    """MediaPipe's WEIGHTED non-maximum suppression: each cluster of overlapping boxes becomes
    their score-weighted mean, with the best score of the cluster."""
    order = np.argsort(-scores)
    boxes, scores = boxes[order], scores[order]
    left = np.ones(len(boxes), dtype=bool)
    out = []
    for i in range(len(boxes)):
        if not left[i]:
            continue
        overlap = left & (box_iou(boxes[i], boxes) > iou)
        weights = scores[overlap][:, None]
        x0, y0, x1, y1 = (boxes[overlap] * weights).sum(axis=0) / weights.sum()
        out.append(Detection(float(x0), float(y0), float(x1), float(y1), float(scores[i])))
        left &= ~overlap
    return out


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = (box[2] - box[0]) * (box[3] - box[1]) + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def shrink(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` at ``width`` x ``height``: area averaging by a whole factor first (OpenCV's fast
    case: 3 ms for a 1600x1200 photo where a fractional factor takes 19 ms), then linear."""
    h, w = image.shape[:2]
    factor = min(w // width, h // height)
    if factor >= 2:
        sw, sh = w // factor, h // factor
        image = cv2.resize(image[: sh * factor, : sw * factor], (sw, sh), interpolation=cv2.INTER_AREA)
    if image.shape[1] == width and image.shape[0] == height:
        return image
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)


class BlazeFace:
    """One BlazeFace ``.tflite`` on LiteRT."""

    def __init__(
        self, model_path: str | Path, input_size: int = BACK_INPUT, strides: tuple[int, ...] = BACK_STRIDES
    ):
        from ai_edge_litert.interpreter import Interpreter

        # One thread: the detector runs beside the classifier (and in the video command beside
        # the decoder), and LiteRT's second thread measured slower here, not faster.
        self._interpreter = Interpreter(model_content=Path(model_path).read_bytes(), num_threads=1)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]["index"]
        outputs = {tuple(o["shape"])[-1]: o["index"] for o in self._interpreter.get_output_details()}
        self._regressors, self._scores = outputs[16], outputs[1]
        self.input_size = input_size
        self._anchors = ssd_anchors(input_size, strides)

    def detect(self, bgr: np.ndarray, min_score: float) -> list[Detection]:
        """Faces of a BGR image of any size, in its pixels."""
        height, width = bgr.shape[:2]
        size = self.input_size
        scale = size / max(height, width)
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
        small = shrink(bgr, w, h)
        top, left = (size - h) // 2, (size - w) // 2
        square = cv2.copyMakeBorder(small, top, size - h - top, left, size - w - left, cv2.BORDER_CONSTANT)
        tensor = cv2.cvtColor(square, cv2.COLOR_BGR2RGB).astype(np.float32) * (1.0 / 127.5) - 1.0
        self._interpreter.set_tensor(self._input, np.ascontiguousarray(tensor[None]))
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._regressors)[0]
        logits = self._interpreter.get_tensor(self._scores)[0, :, 0].astype(np.float64)
        logits = np.clip(logits, -100.0, 100.0)
        scores = 1.0 / (1.0 + np.exp(-logits))
        keep = scores >= min_score
        if not keep.any():
            return []
        raw, anchors = raw[keep], self._anchors[keep]
        cx = raw[:, 0] / size + anchors[:, 0]
        cy = raw[:, 1] / size + anchors[:, 1]
        half_w, half_h = raw[:, 2] / size / 2.0, raw[:, 3] / size / 2.0
        boxes = np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=1) * size
        boxes = (boxes - np.array([left, top, left, top], dtype=np.float32)) / scale
        return weighted_suppression(boxes, scores[keep])


class TasksBlazeFace:
    """The short-range model on MediaPipe Tasks, where LiteRT has no wheel (Intel macOS): the
    same ``detect`` as :class:`BlazeFace`, without the far model (faces from about 13% only)."""

    input_size = 128

    def __init__(self, model_path: str | Path, lowest_score: float = 0.3):
        from fer_desktop.runtime_imports import import_mediapipe

        self._mp = import_mediapipe()
        from mediapipe.tasks.python.core.base_options import BaseOptions
        from mediapipe.tasks.python.vision import face_detector

        options = face_detector.FaceDetectorOptions(
            # Bytes, not a path: MediaPipe's own path handling breaks on some unicode/bundle paths.
            base_options=BaseOptions(model_asset_buffer=Path(model_path).read_bytes()),
            min_detection_confidence=lowest_score,
        )
        self._detector = face_detector.FaceDetector.create_from_options(options)

    def detect(self, bgr: np.ndarray, min_score: float) -> list[Detection]:
        rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        result = self._detector.detect(self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb))
        found = []
        for det in result.detections:
            score = det.categories[0].score if det.categories else 1.0
            if score >= min_score:
                b = det.bounding_box
                found.append(
                    Detection(b.origin_x, b.origin_y, b.origin_x + b.width, b.origin_y + b.height, score)
                )
        return found

    def close(self) -> None:
        self._detector.close()
