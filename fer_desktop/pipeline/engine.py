"""The engine: a lazily built, swappable analyzer shared by successive live sessions.

Loading the models takes seconds; opening another video or switching back to
the camera should not pay that again. The engine is built on first use (on a
worker thread) and its model can be swapped at run time; a model that fails to
load is refused and the current one stays active.

Threads: the Live worker analyses frames through :meth:`AnalyzerEngine.analyze`,
which holds the engine's lock for the whole frame, and
:meth:`AnalyzerEngine.use_model` (run on a loader thread, never the GUI thread:
loading takes seconds) swaps the classifier under the same lock, so a swap lands
between two frames and never resets the tracker while ``FaceTracker.update``
runs. A labelling run borrows the classifier with
:meth:`AnalyzerEngine.lease_classifier`; a classifier replaced by a swap is
closed as soon as no lease holds it, not piled up until exit.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fer_desktop.models.classifier import EmotionClassifier
from fer_desktop.pipeline.analyzer import FrameAnalyzer, FrameResult, build_analyzer
from fer_desktop.pipeline.frame import Frame
from fer_desktop.pipeline.tracking import DEFAULT_SMOOTHING
from training.contract.preprocess import CROP_MARGIN


class AnalyzerEngine:
    def __init__(self, model_path: Path, smoothing: float = DEFAULT_SMOOTHING, margin: float = CROP_MARGIN):
        self.model_path = Path(model_path)
        self.smoothing = smoothing
        self.margin = margin
        self._analyzer: FrameAnalyzer | None = None
        self._leases: dict[int, int] = {}  # id(classifier) -> labelling runs using it
        self._retired: list[EmotionClassifier] = []  # replaced, still leased
        self._tickets = itertools.count(1)
        self._newest_ticket = 0
        self._lock = threading.RLock()  # held for a whole frame, and for seconds while building
        self._ticket_lock = threading.Lock()  # never held long: the GUI thread takes tickets
        self._closed = False

    def get(self) -> FrameAnalyzer:
        """The analyzer, built on first call; raises ModelLoadError/FaceDetectorError."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the analyzer engine is closed")  # a late worker must not rebuild it
            if self._analyzer is None:
                self._analyzer = build_analyzer(self.model_path, self.smoothing, self.margin)
            return self._analyzer

    def analyze(self, frame: Frame) -> FrameResult:
        """One frame, with no model swap in the middle of it."""
        with self._lock:
            return self.get().analyze(frame)

    def new_source(self) -> None:
        """A new camera, video or folder: its faces are numbered from 1 again."""
        with self._lock:
            if self._analyzer is not None:
                self._analyzer.new_source()

    def set_smoothing(self, value: float) -> None:
        self.smoothing = value
        if self._analyzer is not None:
            self._analyzer.tracker.smoothing = value

    def new_ticket(self) -> int:
        """A number for the newest model request; an older request's load is then dropped."""
        with self._ticket_lock:
            self._newest_ticket = next(self._tickets)
            return self._newest_ticket

    def use_model(self, path: str | Path, ticket: int | None = None) -> bool:
        """Load ``path`` and swap it in between two frames; raises ModelLoadError and keeps the old one.

        Slow (seconds): call it off the GUI thread. With a ``ticket`` from
        :meth:`new_ticket`, a load overtaken by a newer request is closed
        unused and False is returned.
        """
        from fer_desktop.models.classifier import open_classifier

        classifier = open_classifier(path)
        with self._lock, self._ticket_lock:
            accepted = not self._closed and (ticket is None or ticket == self._newest_ticket)
            if not accepted:
                unused = classifier
            else:
                self.model_path = Path(path)
                if self._analyzer is None:
                    unused = classifier  # it only proved the file loads; get() opens it for use
                else:
                    unused = self._retire(self._analyzer.classifier)
                    self._analyzer.set_classifier(classifier)
        if unused is not None:
            unused.close()
        return accepted

    def _retire(self, classifier: EmotionClassifier) -> EmotionClassifier | None:
        """The classifier to close now, or None when a labelling run still holds it."""
        if self._leases.get(id(classifier)):
            self._retired.append(classifier)
            return None
        return classifier

    @contextmanager
    def lease_classifier(self) -> Iterator[EmotionClassifier]:
        """The current classifier, kept open (even if swapped out) until the block ends."""
        with self._lock:
            classifier = self.get().classifier
            self._leases[id(classifier)] = self._leases.get(id(classifier), 0) + 1
        try:
            yield classifier
        finally:
            close = None
            with self._lock:
                left = self._leases.pop(id(classifier)) - 1
                if left:
                    self._leases[id(classifier)] = left
                elif any(c is classifier for c in self._retired):
                    self._retired = [c for c in self._retired if c is not classifier]
                    close = classifier
            if close is not None:
                close.close()

    @property
    def classifier(self):
        return None if self._analyzer is None else self._analyzer.classifier

    @property
    def retired_count(self) -> int:
        """Replaced classifiers still open because a labelling run holds them."""
        return len(self._retired)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._analyzer is not None:
                self._analyzer.close()
                self._analyzer = None
            for classifier in self._retired:
                classifier.close()
            self._retired.clear()
