"""Recording a Live session: the `video` command's CSV rows plus wall-clock time, and the annotated video.

Plain Python (no Qt). The rows go through :class:`fer_desktop.live.recording.SessionRecorder`,
the writer of ``fer-desktop video``, so both write the same columns the same way; this
module adds what live video needs: a writer thread, and a video paced by the source's
clock from the frames the window drew (the display may drop frames; the CLI never does).
The GUI thread only queues results (:meth:`LiveRecorder.add`);
a writer thread of the recorder writes them, so encoding video never blocks the
window. Files are written under hidden ``.part`` names and renamed to their final
names when the recording stops, so a half-written file never looks finished. A
write error (full disk, folder turned read-only) ends the recording with a message
in :attr:`LiveRecorder.error`; whatever was written before is kept.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.live.recording import (
    CSV_COLUMNS,
    WALL_TIME_COLUMN,
    RecordingError,
    SessionRecorder,
    part_path,
)
from fer_desktop.pipeline.analyzer import FrameResult
from fer_desktop.write_errors import describe_write_error

RECORDING_COLUMNS = [*CSV_COLUMNS, WALL_TIME_COLUMN]  # the `video` columns in order, then wall-clock time
VIDEO_FOURCC = "mp4v"
MAX_GAP_S = 1.0  # a seek forward fills at most this much of the video with the last frame
MAX_QUEUED_FRAMES = 60  # beyond this backlog a frame goes to the CSV only (the video holds the last one)


def session_stem(folder: Path) -> str:
    """``fer-session-YYYYmmdd-HHMMSS`` (with a suffix when taken): never overwrites a recording."""
    stem = base = time.strftime("fer-session-%Y%m%d-%H%M%S")
    n = 1
    while any(folder.glob(f"{stem}.*")) or any(folder.glob(f".{stem}.*")):  # finished or being written
        n += 1
        stem = f"{base}-{n}"
    return stem


class LiveRecorder:
    """Writes queued results to ``<folder>/fer-session-….csv`` (and ``.mp4`` with ``video=True``).

    The video has a fixed frame rate ``fps``; each annotated frame is written as many
    times as its source time asks for, so a session plays back at its real speed even
    when the display dropped frames.
    """

    def __init__(self, folder: str | Path, video: bool = False, fps: float = 30.0):
        self.folder = Path(folder)
        self.fps = fps if fps and fps > 0 else 30.0
        self.error: str | None = None
        self.frames_written = 0
        self.frames_skipped = 0  # left out of the video because encoding fell behind
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            stem = session_stem(self.folder)
            self.csv_path = self.folder / f"{stem}.csv"
            self.video_path = self.folder / f"{stem}.mp4" if video else None
            self._video_part = part_path(self.video_path) if video else None
            self._rows = SessionRecorder(self.csv_path, wall_clock=True)
        except OSError as exc:
            raise RecordingError(f"Recording not started: {describe_write_error(exc, self.folder)}") from exc
        self._video: cv2.VideoWriter | None = None
        self._video_size: tuple[int, int] | None = None
        self._video_t0: float | None = None
        self._last_frame: np.ndarray | None = None
        self._queue: queue.Queue = queue.Queue()
        self._stopping = False
        # Not a daemon: Python waits for it at exit, so a recording is finalised when the app closes.
        self._thread = threading.Thread(target=self._run, name="session-recorder")
        self._thread.start()

    @property
    def paths(self) -> list[Path]:
        return [p for p in (self.csv_path, self.video_path) if p is not None]

    def add(self, result: FrameResult, annotated: np.ndarray | None = None, wall_time: float | None = None):
        """Queue one shown frame (any thread; returns at once). Ignored once stopped or failed."""
        if self._stopping or self.error is not None:
            return
        frame = annotated if self.video_path is not None else None
        if frame is not None and self._queue.qsize() >= MAX_QUEUED_FRAMES:
            frame = None  # memory stays bounded; the frame's time is filled by the previous one
            self.frames_skipped += 1
        self._queue.put((result, frame, time.time() if wall_time is None else wall_time))

    def stop(self) -> None:
        """Finish the queued frames and finalise the files on the writer thread; returns at once."""
        if not self._stopping:
            self._stopping = True
            self._queue.put(None)

    def wait(self, timeout: float | None = None) -> bool:
        """True once the files are final (or the recording failed)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def finished(self) -> bool:
        return not self._thread.is_alive()

    def close(self, timeout: float | None = 30.0) -> bool:
        self.stop()
        return self.wait(timeout)

    # -- the writer thread -------------------------------------------------------
    def _run(self) -> None:
        current = self.csv_path
        try:
            while (item := self._queue.get()) is not None:
                result, frame, wall_time = item
                current = self.csv_path
                self._rows.add(None, result, wall_time=wall_time)
                if self.video_path is not None:
                    current = self.video_path
                    self._write_frame(frame, result.time)
        except OSError as exc:
            self.error = f"Recording stopped: {describe_write_error(exc, current)}"
        except Exception as exc:  # a recording must never take the app down
            self.error = f"Recording stopped: {exc}"
        finally:
            self._stopping = True
            self._finalise()

    def _write_frame(self, frame: np.ndarray | None, t: float) -> None:
        """Write ``frame`` (None: a skipped one, the last frame held until time ``t``)."""
        held = frame is None
        if held:
            if self._last_frame is None:
                return
            frame = self._last_frame
        if self._video is None:
            h, w = frame.shape[:2]
            self._video_size = (w, h)
            self._video_t0 = t
            self._video = cv2.VideoWriter(
                str(self._video_part), cv2.VideoWriter_fourcc(*VIDEO_FOURCC), self.fps, (w, h)
            )
            if not self._video.isOpened():
                raise OSError(f"OpenCV cannot write {VIDEO_FOURCC} video")
        if (frame.shape[1], frame.shape[0]) != self._video_size:
            frame = cv2.resize(frame, self._video_size)
        due = round((t - self._video_t0) * self.fps) + 1  # frames the video should hold after this one
        repeats = min(due - self.frames_written, max(1, round(MAX_GAP_S * self.fps)))
        if due < self.frames_written:  # a seek back or a loop: time restarts from here
            self._video_t0 = t - self.frames_written / self.fps
        if not held:
            repeats = max(repeats, 1)
            self._last_frame = frame
        for _ in range(repeats):
            self._video.write(frame)
        self.frames_written += max(repeats, 0)

    def _finalise(self) -> None:
        """Close both files and give them their final names; what was written is kept."""
        try:
            self._rows.close(keep_partial=True)
        except OSError as exc:
            self.error = self.error or f"Recording not saved: {describe_write_error(exc, self.csv_path)}"
        if self._video is not None:
            self._video.release()
            try:
                if self._video_part.stat().st_size == 0:
                    raise OSError("the video is empty")
                os.replace(self._video_part, self.video_path)
            except OSError as exc:
                self.error = self.error or f"Video not saved: {describe_write_error(exc, self.video_path)}"
        elif self.video_path is not None:
            self.video_path = None  # no frame came: there is no video
        while not self._queue.empty():  # drop what arrived after a failure
            self._queue.get_nowait()
