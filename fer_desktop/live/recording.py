"""Record an analysed session as frames arrive: the ``video`` CSV, an annotated video, a summary.

Qt-free, so ``fer-desktop video`` and the Live tab's Record button write the same files:

    with SessionRecorder("session.csv", video_path="session.mp4", fps=30.0, wall_clock=True) as rec:
        for frame, result in ...:
            rec.add(frame.image, result)          # one call per analysed frame, in order
    # leaving the block cleanly moves every output into place; an exception discards them

Every output is written to a hidden ``.part`` file beside its destination and moved over it
only by :meth:`SessionRecorder.close`, so an interrupted recording never leaves a
complete-looking half file and never replaces an earlier one (:meth:`SessionRecorder.abort`
removes the parts).

The CSV columns are a contract for users' scripts: ``frame, time, face, x, y, w, h, emotion,
confidence`` and one probability column per class, then, when asked for, ``wall_time``
(new columns are only ever appended).
"""

from __future__ import annotations

import contextlib
import csv
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

import cv2
import numpy as np

from fer_desktop.live.emotion_summary import EmotionTimeline, write_summary_png
from fer_desktop.pipeline.analyzer import FrameResult
from fer_desktop.pipeline.overlay import draw_results
from training.contract.labels import CLASS_NAMES

CSV_COLUMNS = ["frame", "time", "face", "x", "y", "w", "h", "emotion", "confidence", *CLASS_NAMES]
WALL_TIME_COLUMN = "wall_time"  # local time with its UTC offset, ISO 8601, to the millisecond

# The codec OpenCV's own FFmpeg build can write for each container (no H.264 in the pip wheels).
VIDEO_CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".mkv": "mp4v", ".avi": "MJPG"}


class RecordingError(RuntimeError):
    """An output that cannot be written (unknown video type, no encoder); the message is for the user."""


@dataclass
class RecordingSummary:
    frames: int = 0
    faces: int = 0  # face rows
    frames_with_face: int = 0


def csv_columns(wall_clock: bool = False) -> list[str]:
    """The CSV's header: the ``video`` columns in order, then ``wall_time`` when asked for."""
    return [*CSV_COLUMNS, WALL_TIME_COLUMN] if wall_clock else list(CSV_COLUMNS)


def face_rows(result: FrameResult) -> Iterator[list]:
    """The CSV rows of one frame: one per face, in the contract's column order."""
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


def empty_row(result: FrameResult) -> list:
    """A frame without a face: its number and time, the face fields empty."""
    return [result.index, f"{result.time:.3f}", *[""] * (len(CSV_COLUMNS) - 2)]


def format_wall_time(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s).astimezone().isoformat(timespec="milliseconds")


def video_codec(path: Path) -> str:
    try:
        return VIDEO_CODECS[path.suffix.lower()]
    except KeyError:
        raise RecordingError(
            f"cannot write {path.name}: the annotated video must end in {', '.join(VIDEO_CODECS)}"
        ) from None


def part_path(dest: Path) -> Path:
    """A hidden temporary name beside ``dest`` that keeps its extension (OpenCV picks the container by it)."""
    return dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part{dest.suffix}")


class SessionRecorder:
    """Writes the rows (and optionally the annotated video and a summary PNG) of a session.

    ``csv_path``: the ``video`` CSV. ``video_path``: the annotated video (``.mp4``, ``.avi``,
    ``.mkv``, ...), drawn with :func:`fer_desktop.pipeline.overlay.draw_results` (the Live tab's
    drawing) at ``fps``, the size of the first frame. ``all_frames``: a row with empty face
    fields for a frame without a face. ``wall_clock``: the ``wall_time`` column.
    ``summary_path``: a PNG of each face's emotions over time (:mod:`emotion_summary`).
    Not thread-safe: one thread calls :meth:`add` and then :meth:`close` or :meth:`abort`.
    """

    def __init__(
        self,
        csv_path: str | Path,
        *,
        video_path: str | Path | None = None,
        fps: float = 30.0,
        all_frames: bool = False,
        wall_clock: bool = False,
        summary_path: str | Path | None = None,
    ):
        self.csv_path = Path(csv_path)
        self.video_path = Path(video_path) if video_path else None
        self.summary_path = Path(summary_path) if summary_path else None
        self.fps = fps
        self.all_frames = all_frames
        self.wall_clock = wall_clock
        self.summary = RecordingSummary()
        self.timeline = EmotionTimeline() if self.summary_path else None
        if self.video_path:
            video_codec(self.video_path)  # refuse an unknown type before any work
        for dest in (self.csv_path, self.video_path, self.summary_path):
            if dest is not None:
                dest.parent.mkdir(parents=True, exist_ok=True)
        self._csv_part = part_path(self.csv_path)
        self._csv_file: IO[str] | None = self._csv_part.open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow(self.columns)
        self._video_part = part_path(self.video_path) if self.video_path else None
        self._video: cv2.VideoWriter | None = None
        self._video_size: tuple[int, int] | None = None
        self._closed = False
        self.finished: list[Path] = []  # outputs moved into place by close(), in order

    @property
    def columns(self) -> list[str]:
        return csv_columns(self.wall_clock)

    def add(
        self,
        image: np.ndarray | None,
        result: FrameResult,
        wall_time: float | None = None,
        selected_id: int | None = None,
    ) -> None:
        """One analysed frame. ``image`` (BGR) is needed only for the annotated video;
        ``wall_time`` (seconds since the epoch, default now) only with ``wall_clock``."""
        if self._closed:
            raise RuntimeError("the recording is closed")
        rows = list(face_rows(result))
        if not rows and self.all_frames:
            rows = [empty_row(result)]
        if self.wall_clock:
            stamp = format_wall_time(wall_time if wall_time is not None else datetime.now().timestamp())
            rows = [[*r, stamp] for r in rows]
        self._csv.writerows(rows)
        if self._video_part is not None and image is not None:
            self.write_video_frame(draw_results(image, result, selected_id))
        if self.timeline is not None:
            self.timeline.add(result)
        self.summary.frames += 1
        self.summary.faces += len(result.faces)
        self.summary.frames_with_face += bool(result.faces)

    def write_video_frame(self, annotated: np.ndarray, repeats: int = 1) -> None:
        """Write an already drawn frame ``repeats`` times to the video (a no-op without one).

        The video is opened at the first frame, at its size; a later frame of another size
        is scaled to it. A caller that paces the video by the source's clock (the Live
        tab's recorder) repeats a frame to fill the time until the next one.
        """
        if self._video_part is None or repeats <= 0:
            return
        if self._closed:
            raise RuntimeError("the recording is closed")
        h, w = annotated.shape[:2]
        if self._video is None:
            fourcc = cv2.VideoWriter_fourcc(*video_codec(self.video_path))
            self._video = cv2.VideoWriter(str(self._video_part), fourcc, float(self.fps), (w, h))
            if not self._video.isOpened():
                raise RecordingError(f"cannot write the annotated video {self.video_path}: no encoder for it")
            self._video_size = (w, h)
        elif (w, h) != self._video_size:
            # A camera that changes resolution mid-session: keep the first size, as a video must.
            annotated = cv2.resize(annotated, self._video_size, interpolation=cv2.INTER_AREA)
        for _ in range(repeats):
            self._video.write(annotated)

    def close(self, keep_partial: bool = False) -> RecordingSummary:
        """Finish every output and move it into place; returns the counts.

        The CSV and the video are moved first; an error writing the summary then raises with
        them already in place. A write error while finishing (a full disk) raises; the parts
        are then removed, so an earlier file at the destination stays whole, unless
        ``keep_partial``: a live session cannot be recorded again, so what was written is kept.
        """
        if self._closed:
            return self.summary
        self._closed = True
        failure: OSError | None = None
        try:
            assert self._csv_file is not None
            self._csv_file.flush()
            os.fsync(self._csv_file.fileno())
        except OSError as exc:
            failure = exc
        finally:
            self._release_files()
        if failure is None or keep_partial:
            try:
                if self._video_part is not None and self._video_part.exists():
                    os.replace(self._video_part, self.video_path)
                    self.finished.append(self.video_path)
                os.replace(self._csv_part, self.csv_path)
                self.finished.append(self.csv_path)
            except OSError as exc:
                failure = failure or exc
        self._remove_parts()
        if failure is not None:
            raise failure
        # Last: a summary that cannot be written never costs the session's rows and video.
        if self.summary_path is not None and self.timeline is not None:
            write_summary_png(self.summary_path, self.timeline)
            self.finished.append(self.summary_path)
        return self.summary

    def _release_files(self) -> None:
        """Close the CSV and the video writer; a flush error here is the one already reported."""
        if self._csv_file is not None:
            with contextlib.suppress(OSError):  # unflushed data is lost; what reached the disk stays
                self._csv_file.close()
            self._csv_file = None
        if self._video is not None:
            self._video.release()
            self._video = None

    def abort(self) -> None:
        """Discard everything written so far; earlier files at the destinations stay as they were."""
        self._closed = True
        self._release_files()
        self._remove_parts()

    def _remove_parts(self) -> None:
        for part in (self._csv_part, self._video_part):
            if part is not None:
                part.unlink(missing_ok=True)

    def __enter__(self) -> SessionRecorder:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
