"""The live inference worker: newest frame in, results out through signals."""

from __future__ import annotations

import cv2
from PySide6.QtCore import Signal

from fer_desktop.engine import AnalyzerEngine
from fer_desktop.sources import FrameSource, LatestFrameGrabber, SourceError, open_source
from fer_desktop.ui.stoppable import StoppableWorker


class LiveWorker(StoppableWorker):
    """Runs capture (its own thread) and analysis; never touches a widget.

    Capture keeps only the newest frame, so when inference is slower than
    the camera frames are dropped instead of queueing up.
    """

    started_source = Signal(str)  # description of the opened source
    result_ready = Signal(object, object)  # (BGR frame as analysed, FrameResult)
    failed = Signal(str)  # user-facing message; the worker has stopped
    finished_source = Signal(str)  # a file or folder reached its end

    stop_timeout_ms = 5000

    def __init__(self, engine: AnalyzerEngine, source_spec: str, mirror: bool = False, parent=None):
        super().__init__(parent)
        self.engine = engine
        self.source_spec = source_spec
        self.mirror = mirror

    def run(self) -> None:
        try:
            source = open_source(self.source_spec)
        except SourceError as exc:
            self.failed.emit(str(exc))
            return
        try:
            analyzer = self.engine.get()
        except Exception as exc:
            source.close()
            self.failed.emit(f"Cannot start the emotion pipeline: {exc}")
            return
        self.started_source.emit(source.description)
        self._loop(source, analyzer)

    def _loop(self, source: FrameSource, analyzer) -> None:
        grabber = LatestFrameGrabber(source, realtime=True).start()
        try:
            while not self._stop.is_set():
                frame = grabber.next_frame(timeout=0.2)
                if frame is None:
                    if grabber.finished:
                        if grabber.error:
                            self.failed.emit(grabber.error)
                        else:
                            self.finished_source.emit(f"{source.description}: end reached")
                        return
                    continue
                if self.mirror:
                    frame.image = cv2.flip(frame.image, 1)
                try:
                    result = self.engine.get().analyze(frame)
                except Exception as exc:
                    self.failed.emit(f"Analysis failed: {exc}")
                    return
                self.result_ready.emit(frame.image, result)
        finally:
            grabber.stop()
