"""Headless analysis of a video file: one CSV row per face per frame.

The CSV columns ``frame, time, face, x, y, w, h, emotion, confidence`` and one
column per class name are a contract for users' scripts: add, never rename.
"""

from __future__ import annotations

import csv
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from fer_desktop.analyzer import FrameAnalyzer, FrameResult
from fer_desktop.sources import Frame, VideoFileSource
from training.atomic import atomic_open
from training.labels import CLASS_NAMES

CSV_COLUMNS = ["frame", "time", "face", "x", "y", "w", "h", "emotion", "confidence", *CLASS_NAMES]


def prefetch_frames(source: VideoFileSource, depth: int = 8) -> Iterator[Frame]:
    """Decode on a helper thread so decoding overlaps detection and inference."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                frame = source.read()
                q.put(done if frame is None else frame)
                if frame is None:
                    return
        except Exception as exc:
            q.put(exc)

    thread = threading.Thread(target=reader, name="video-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, Exception):
                raise item
            yield item
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
        for frame in prefetch_frames(source):
            result = analyzer.analyze(frame)
            writer.writerows(result_rows(result))
            frames += 1
            faces += len(result.faces)
            with_face += bool(result.faces)
            if on_progress:
                on_progress(frames)
    return {"frames": frames, "faces": faces, "frames_with_face": with_face}
