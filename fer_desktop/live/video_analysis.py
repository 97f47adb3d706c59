"""Headless analysis of a video file: one CSV row per face per frame.

The rows, the annotated video and the summary are written by
:class:`fer_desktop.live.recording.SessionRecorder`, which holds the CSV contract.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from fer_desktop.live.recording import CSV_COLUMNS, RecordingSummary, SessionRecorder
from fer_desktop.live.sources import VideoFileSource
from fer_desktop.pipeline.analyzer import FrameAnalyzer

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["CSV_COLUMNS", "analyze_video", "run_ahead"]


def run_ahead(
    items: Iterable[T], fn: Callable[[T], R] | None = None, depth: int = 8
) -> Iterator[tuple[T, R]]:
    """Iterate ``items`` and apply ``fn`` on a helper thread, ``depth`` items ahead of the consumer.

    Yields ``(item, fn(item))`` in order.  Chained stages (decode, then detect,
    then the caller's classification) each get a thread; their native code
    releases the GIL, so on two cores the stages overlap.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def worker() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                q.put((item, fn(item) if fn else None))
            q.put(done)
        except Exception as exc:
            q.put(exc)

    thread = threading.Thread(target=worker, name="run-ahead", daemon=True)
    thread.start()
    try:
        while True:
            got = q.get()
            if got is done:
                return
            if isinstance(got, Exception):
                raise got
            yield got
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)


def analyze_video(
    source: VideoFileSource,
    analyzer: FrameAnalyzer,
    recorder: SessionRecorder,
    on_progress: Callable[[int], None] | None = None,
) -> RecordingSummary:
    """Run every frame through ``analyzer`` into ``recorder``; its outputs are moved into place
    only when the whole video is done (an error or Ctrl-C leaves earlier files as they were)."""
    with recorder:
        decoded = (frame for frame, _ in run_ahead(iter(source.read, None)))
        for frame, (boxes, detect_ms) in run_ahead(decoded, analyzer.detect):
            recorder.add(frame.image, analyzer.classify(frame, boxes, detect_ms))
            if on_progress:
                on_progress(recorder.summary.frames)
    return recorder.summary
