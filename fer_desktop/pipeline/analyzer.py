"""The analyzer: one frame's way through the pipeline.

:class:`FrameAnalyzer` detects, crops, classifies (batched) and tracks; the Live
tab, ``fer-desktop video`` and the tests all use it, and none of them
re-implements a step.  :func:`build_analyzer` assembles one from model files;
:class:`fer_desktop.pipeline.engine.AnalyzerEngine` keeps one across sessions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from fer_desktop.models.classifier import EmotionClassifier, open_classifier
from fer_desktop.pipeline.faces import Box, FaceDetector, crop_face
from fer_desktop.pipeline.finder import FaceFinder
from fer_desktop.pipeline.frame import Frame
from fer_desktop.pipeline.tracking import DEFAULT_SMOOTHING, FaceTracker
from training.contract.labels import CLASS_NAMES
from training.contract.preprocess import CROP_MARGIN


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

    def mirrored(self, width: int) -> FrameResult:
        """The same result for the frame flipped left-right (``width`` pixels wide).

        The Live tab analyses the camera's own frame and mirrors only what it shows, so the
        tracker sees the same coordinates whether Mirror is on or off and a face keeps its id
        when Mirror is toggled.
        """
        faces = [
            FaceResult(f.track_id, replace(f.box, x=width - f.box.x - f.box.w), f.probs) for f in self.faces
        ]
        return replace(self, faces=faces)


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
        self.finder = FaceFinder(detector)
        self.margin = margin

    def analyze(self, frame: Frame) -> FrameResult:
        return self.classify(frame, *self.detect(frame))

    def detect(self, frame: Frame) -> tuple[list[Box], float]:
        """The faces of ``frame`` and the milliseconds it took.

        Split from :meth:`classify` so a video pipeline can detect the next frame
        on another thread while this one is classified (both release the GIL).
        A still (a photo of a folder) gets the whole search; a video frame the
        finder's, which looks for far faces now and then and follows those it found.
        """
        start = time.perf_counter()
        if frame.still:
            self.finder.reset()
            boxes = self.detector.detect(frame.image)
        else:
            boxes = self.finder.find(frame.image, frame.time)
        return boxes, (time.perf_counter() - start) * 1000.0

    def classify(self, frame: Frame, boxes: list[Box], detect_ms: float = 0.0) -> FrameResult:
        """Emotions of the detected faces (one batched call), tracked and smoothed.

        In a video only confirmed tracks are shown; a still is its own scene: every face at
        once, its own probabilities, ids from 1.
        """
        start = time.perf_counter()
        probs = self.classifier.predict([crop_face(frame.image, b, self.margin) for b in boxes])
        infer_ms = (time.perf_counter() - start) * 1000.0
        if frame.still:
            self.tracker.reset()
        tracks = self.tracker.update(boxes, probs, frame.time)
        faces = [
            FaceResult(t.id, t.box, t.probs / t.probs.sum()) for t in tracks if frame.still or t.confirmed
        ]
        return FrameResult(frame.index, frame.time, faces, detect_ms, infer_ms)

    def new_source(self) -> None:
        """Forget the faces of the last source: ids start again at 1."""
        self.tracker.reset()
        self.finder.reset()

    def set_classifier(self, classifier: EmotionClassifier) -> None:
        """Swap the model between frames (e.g. "Use this model" in the Train tab)."""
        self.classifier = classifier
        self.tracker.reset()
        self.finder.reset()

    def close(self) -> None:
        self.detector.close()
        self.classifier.close()


def build_analyzer(
    model_path: str | Path,
    smoothing: float = DEFAULT_SMOOTHING,
    margin: float = CROP_MARGIN,
    tf_threads: int | None = None,
) -> FrameAnalyzer:
    classifier = open_classifier(model_path, tf_threads)
    return FrameAnalyzer(FaceDetector(), classifier, FaceTracker(smoothing=smoothing), margin=margin)
