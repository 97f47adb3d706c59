"""norfair's tracker in the shape of the app's ``FaceTracker``, to compare the two on the same
scenes (``bench_faces --tracker norfair``). Benchmark only: norfair is not a dependency; put it
on PYTHONPATH (``pip install --no-deps --target DIR norfair filterpy``) to run it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fer_desktop.pipeline.faces import Box
from fer_desktop.pipeline.tracking import DEFAULT_SMOOTHING


@dataclass
class _Track:
    id: int
    box: Box
    probs: np.ndarray
    confirmed: bool


class NorfairTracker:
    """IoU distance on boxes, a Kalman filter per face, a second of misses kept (30 frames)."""

    def __init__(self, smoothing: float = DEFAULT_SMOOTHING, fps: float = 30.0):
        self.smoothing = smoothing
        self.fps = fps
        self.reset()

    def reset(self) -> None:
        from norfair import Tracker

        self._tracker = Tracker(
            distance_function="iou",
            distance_threshold=0.9,
            hit_counter_max=int(self.fps),
            initialization_delay=1,
        )
        self._probs: dict[int, np.ndarray] = {}

    def update(self, boxes: list[Box], probs: np.ndarray, time: float | None = None) -> list[_Track]:
        from norfair import Detection

        detections = [
            Detection(np.array([[b.x, b.y], [b.x + b.w, b.y + b.h]], dtype=float), data=i)
            for i, b in enumerate(boxes)
        ]
        objects = self._tracker.update(detections=detections)
        by_box: dict[int, int] = {}
        for obj in objects:
            d = obj.last_detection
            if any(d is det for det in detections):
                by_box[d.data] = obj.id
        alpha = float(np.clip(self.smoothing, 0.0, 0.99))
        out = []
        for i, box in enumerate(boxes):
            tid = by_box.get(i)
            p = np.asarray(probs[i], dtype=np.float64)
            if tid is None:
                out.append(_Track(-1, box, p, False))
                continue
            past = self._probs.get(tid)
            self._probs[tid] = p if past is None else alpha * past + (1 - alpha) * p
            out.append(_Track(tid, box, self._probs[tid], True))
        return out
