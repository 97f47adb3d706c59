"""One frame's way through the pipeline: detect, crop, classify (batched), track.

The Live tab, ``fer-desktop video`` and the tests all use :class:`FrameAnalyzer`;
none of them re-implements a step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from fer_desktop.classifier import EmotionClassifier
from fer_desktop.faces import Box, FaceDetector, crop_face
from fer_desktop.sources import Frame
from fer_desktop.tracking import FaceTracker
from training.labels import CLASS_NAMES
from training.preprocess import CROP_MARGIN


@dataclass
class FaceResult:
    track_id: int
    box: Box
    probs: np.ndarray  # (7,) smoothed probabilities, summing to 1

    @property
    def emotion(self) -> str:
        return CLASS_NAMES[int(np.argmax(self.probs))]

    @property
    def confidence(self) -> float:
        return float(np.max(self.probs))


@dataclass
class FrameResult:
    index: int
    time: float
    faces: list[FaceResult] = field(default_factory=list)
    detect_ms: float = 0.0
    infer_ms: float = 0.0

    def largest_face(self) -> FaceResult | None:
        return max(self.faces, key=lambda f: f.box.area, default=None)


class FrameAnalyzer:
    def __init__(
        self,
        detector: FaceDetector,
        classifier: EmotionClassifier,
        tracker: FaceTracker | None = None,
        margin: float = CROP_MARGIN,
    ):
        self.detector = detector
        self.classifier = classifier
        self.tracker = tracker if tracker is not None else FaceTracker()
        self.margin = margin

    def analyze(self, frame: Frame) -> FrameResult:
        return self.classify(frame, *self.detect(frame.image))

    def detect(self, image: np.ndarray) -> tuple[list[Box], float]:
        """The faces of ``image`` and the milliseconds it took.

        Split from :meth:`classify` so a video pipeline can detect the next frame
        on another thread while this one is classified (both release the GIL).
        """
        start = time.perf_counter()
        boxes = self.detector.detect(image)
        return boxes, (time.perf_counter() - start) * 1000.0

    def classify(self, frame: Frame, boxes: list[Box], detect_ms: float = 0.0) -> FrameResult:
        """Emotions of the detected faces (one batched call), tracked and smoothed."""
        start = time.perf_counter()
        probs = self.classifier.predict([crop_face(frame.image, b, self.margin) for b in boxes])
        infer_ms = (time.perf_counter() - start) * 1000.0
        tracks = self.tracker.update(boxes, probs)
        faces = [FaceResult(t.id, t.box, t.probs / t.probs.sum()) for t in tracks]
        return FrameResult(frame.index, frame.time, faces, detect_ms, infer_ms)

    def set_classifier(self, classifier: EmotionClassifier) -> None:
        """Swap the model between frames (e.g. "Use this model" in the Train tab)."""
        self.classifier = classifier
        self.tracker.reset()

    def close(self) -> None:
        self.detector.close()
        self.classifier.close()
