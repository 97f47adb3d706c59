"""A lazily built, swappable analyzer shared by successive live sessions.

Loading TensorFlow and the models takes seconds; opening another video or
switching back to the camera should not pay that again.  The engine is built
on first use (on a worker thread) and its model can be swapped at run time;
a model that fails to load is refused and the current one stays active.
"""

from __future__ import annotations

import threading
from pathlib import Path

from fer_desktop.analyzer import FrameAnalyzer
from fer_desktop.classifier import EmotionClassifier


class AnalyzerEngine:
    def __init__(self, model_path: Path, smoothing: float = 0.6, margin: float = 0.2):
        self.model_path = Path(model_path)
        self.smoothing = smoothing
        self.margin = margin
        self._analyzer: FrameAnalyzer | None = None
        self._retired: list[EmotionClassifier] = []
        self._lock = threading.Lock()

    def get(self) -> FrameAnalyzer:
        """The analyzer, built on first call; raises ModelLoadError/FaceDetectorError."""
        with self._lock:
            if self._analyzer is None:
                from fer_desktop.pipeline import build_analyzer

                self._analyzer = build_analyzer(self.model_path, self.smoothing, self.margin)
            return self._analyzer

    def set_smoothing(self, value: float) -> None:
        self.smoothing = value
        if self._analyzer is not None:
            self._analyzer.tracker.smoothing = value

    def use_model(self, path: str | Path) -> None:
        """Switch to another model file; raises ModelLoadError and keeps the old one."""
        from fer_desktop.classifier import open_classifier

        classifier = open_classifier(path)
        with self._lock:
            self.model_path = Path(path)
            if self._analyzer is None:
                classifier.close()  # it only proved the file loads; get() opens it for use
            else:
                # Closed with the engine, not now: a labelling run may still be using it.
                self._retired.append(self._analyzer.classifier)
                self._analyzer.set_classifier(classifier)

    @property
    def classifier(self):
        return None if self._analyzer is None else self._analyzer.classifier

    def close(self) -> None:
        with self._lock:
            if self._analyzer is not None:
                self._analyzer.close()
                self._analyzer = None
            for classifier in self._retired:
                classifier.close()
            self._retired.clear()
