"""Recording a Live session: the `video` command's CSV rows plus wall-clock time, and the annotated video.

Plain Python (no Qt). The rows and the video go through
:class:`fer_desktop.live.recording.SessionRecorder`, the writer of ``fer-desktop video``, so
both write the same columns, codec and ``.part`` files the same way; this module adds what
live video needs: a writer thread, and a video paced by the source's clock from the frames
the window drew (the display may drop frames; the CLI never does).
The GUI thread only queues results (:meth:`LiveRecorder.add`);
a writer thread of the recorder writes them, so encoding video never blocks the
window. Files are written under hidden ``.part`` names and renamed to their final
names when the recording stops, so a half-written file never looks finished. A
write error (full disk, folder turned read-only) ends the recording with a message
in :attr:`LiveRecorder.error`; whatever was written before is kept.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import numpy as np

from fer_desktop.live.recording import RecordingError, SessionRecorder
from fer_desktop.pipeline.analyzer import FrameResult
from fer_desktop.write_errors import describe_write_error

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
            self._rows = SessionRecorder(
                self.csv_path, video_path=self.video_path, fps=self.fps, wall_clock=True
            )
        except OSError as exc:
            raise RecordingError(f"Recording not started: {describe_write_error(exc, self.folder)}") from exc
        self._video_t0: float | None = None  # the source time of the video's first frame
        self._last_frame: np.ndarray | None = None
        self._queue: queue.Queue = queue.Queue()
        self._stopping = False
        # Not a daemon: Python waits for it at exit, so a recording is finalised when the app closes.
        self._thread = threading.Thread(target=self._run, name="session-recorder")
        self._thread.start()

    @property
    def columns(self) -> list[str]:
        """The CSV's header: the ``video`` columns, then ``wall_time``."""
        return self._rows.columns

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
        if self._video_t0 is None:
            self._video_t0 = t
        due = round((t - self._video_t0) * self.fps) + 1  # frames the video should hold after this one
        repeats = min(due - self.frames_written, max(1, round(MAX_GAP_S * self.fps)))
        if due < self.frames_written:  # a seek back or a loop: time restarts from here
            self._video_t0 = t - self.frames_written / self.fps
        if not held:
            repeats = max(repeats, 1)
            self._last_frame = frame
        self._rows.write_video_frame(frame, repeats)  # the first frame opens the video, at its size
        self.frames_written += max(repeats, 0)

    def _finalise(self) -> None:
        """Close both files and give them their final names; what was written is kept."""
        try:
            self._rows.close(keep_partial=True)
        except OSError as exc:
            where = self._failed_path(exc)
            self.error = self.error or f"Recording not saved: {describe_write_error(exc, where)}"
        if self.video_path is not None and self.video_path not in self._rows.finished:
            self.video_path = None  # no frame came: there is no video
        elif self.video_path is not None and _is_empty(self.video_path):
            self.video_path.unlink(missing_ok=True)
            self.error = self.error or f"Video not saved: cannot write {self.video_path}: the video is empty"
            self.video_path = None
        while not self._queue.empty():  # drop what arrived after a failure
            self._queue.get_nowait()

    def _failed_path(self, exc: OSError) -> Path:
        """The output an error at close was about: the video's when it names the video, else the CSV."""
        named = str(exc.filename or "")
        if self.video_path is not None and self.video_path.name in named:
            return self.video_path
        return self.csv_path


def _is_empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return True
