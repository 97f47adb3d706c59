"""The live inference worker: newest frame in, results out through signals."""

from __future__ import annotations

import threading
import time

import cv2
from PySide6.QtCore import Signal

from fer_desktop.live.playback import PlaybackControl, SourceInfo
from fer_desktop.live.sources import FrameSource, LatestFrameGrabber, SourceError, open_source
from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.workers.base import Worker


class LiveRunError(RuntimeError):
    """A run that cannot go on; the message is for the user."""


class LiveWorker(Worker):
    """Runs capture (its own thread) and analysis; never touches a widget.

    A :class:`~fer_desktop.ui.workers.base.Worker` whose job streams: results go
    out as ``result_ready`` while it runs, and a failure as ``errored``.

    Capture keeps only the newest frame, and the worker emits a result only
    once the tab has drawn the previous one (:meth:`result_drawn`): when drawing
    is slower than inference, frames are dropped instead of queueing up as
    events, so at most one undrawn result (one frame) is ever in flight.
    """

    started_source = Signal(str)  # description of the opened source
    source_info = Signal(object)  # SourceInfo of the opened source, just before started_source
    result_ready = Signal(object, object, bool)  # (BGR frame as shown, FrameResult, mirrored)
    finished_source = Signal(str)  # a file or folder reached its end
    stalled = Signal(str)  # a live source has given no frame for stall_s (its read may block)

    stall_s = 5.0
    expected_errors = (SourceError, LiveRunError)
    doing = "Live analysis"

    def __init__(
        self,
        engine: AnalyzerEngine,
        source_spec: str,
        mirror: bool = False,
        playback: PlaybackControl | None = None,
        resolution: tuple[int, int] | None = None,
    ):
        super().__init__()
        self.engine = engine
        self.source_spec = source_spec
        self.mirror = mirror
        # Thread-safe: the tab pauses, steps and seeks through it while this thread runs.
        self.playback = playback if playback is not None else PlaybackControl()
        self.resolution = resolution
        self._drawn = threading.Event()
        self._drawn.set()
        self.emitted = 0  # results emitted; the tab counts those it drew

    def result_drawn(self) -> None:
        """The tab has drawn the last result: the next one may go out (any thread)."""
        self._drawn.set()

    def work(self) -> None:
        source = open_source(self.source_spec, self.resolution)
        if self.stop_requested:  # opening a camera takes seconds; the user may have moved on
            source.close()
            return
        try:
            self.engine.get()
        except Exception as exc:
            source.close()
            raise LiveRunError(f"Cannot start the emotion pipeline: {exc}") from exc
        self.engine.new_source()
        self.source_info.emit(SourceInfo.of(source))
        self.started_source.emit(source.description)
        self._loop(source)

    def _loop(self, source: FrameSource) -> None:
        grabber = LatestFrameGrabber(source, realtime=True, control=self.playback).start()
        last_frame, stalled = time.monotonic(), False
        try:
            while not self._stop.is_set():
                frame = grabber.next_frame(timeout=0.2)
                if frame is None:
                    if grabber.finished:
                        if grabber.error:
                            raise LiveRunError(grabber.error)
                        self.finished_source.emit(f"{source.description}: end reached")
                        return
                    if source.is_live and not stalled and time.monotonic() - last_frame > self.stall_s:
                        stalled = True
                        self.stalled.emit(f"{source.description}: no frame for {self.stall_s:.0f} s")
                    continue
                last_frame, stalled = time.monotonic(), False
                try:
                    result = self.engine.analyze(frame)  # unmirrored: ids survive a Mirror toggle
                except Exception as exc:
                    raise LiveRunError(f"Analysis failed: {exc}") from exc
                mirror = self.mirror  # read once: the tab is told what this frame was drawn with
                if mirror:
                    frame.image = cv2.flip(frame.image, 1)
                    result = result.mirrored(frame.image.shape[1])
                if not self._wait_until_drawn():
                    return
                self.emitted += 1
                self.result_ready.emit(frame.image, result, mirror)
        finally:
            grabber.stop()  # the grabber's own thread releases the source

    def _wait_until_drawn(self) -> bool:
        """Block until the previous result is drawn; False when asked to stop meanwhile."""
        while not self._drawn.wait(0.1):
            if self._stop.is_set():
                return False
        self._drawn.clear()
        return not self._stop.is_set()
