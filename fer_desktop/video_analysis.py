"""Headless analysis of a video file: one CSV row per face per frame.

The CSV columns ``frame, time, face, x, y, w, h, emotion, confidence`` and one
column per class name are a contract for users' scripts: add, never rename.
"""

from __future__ import annotations

import csv
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from fer_desktop.analyzer import FrameAnalyzer, FrameResult
from fer_desktop.sources import VideoFileSource
from training.atomic import atomic_open
from training.labels import CLASS_NAMES

T = TypeVar("T")
R = TypeVar("R")

CSV_COLUMNS = ["frame", "time", "face", "x", "y", "w", "h", "emotion", "confidence", *CLASS_NAMES]


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


def result_rows(result: FrameResult) -> Iterator[list]:
    for face in result.faces:
        b = face.box
        yield [
            result.index,
            f"{result.time:.3f}",
            face.track_id,
            b.x,
            b.y,
            b.w,
            b.h,
            face.emotion,
            f"{face.confidence:.4f}",
            *(f"{p:.4f}" for p in face.probs),
        ]


def analyze_video(
    source: VideoFileSource,
    analyzer: FrameAnalyzer,
    out_csv: str | Path,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Run every frame through ``analyzer`` and write the CSV atomically."""
    frames = faces = with_face = 0
    with atomic_open(out_csv, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        decoded = (frame for frame, _ in run_ahead(iter(source.read, None)))
        for frame, (boxes, detect_ms) in run_ahead(decoded, lambda f: analyzer.detect(f.image)):
            result = analyzer.classify(frame, boxes, detect_ms)
            writer.writerows(result_rows(result))
            frames += 1
            faces += len(result.faces)
            with_face += bool(result.faces)
            if on_progress:
                on_progress(frames)
    return {"frames": frames, "faces": faces, "frames_with_face": with_face}
