"""Frame sources: a camera, a video file or a folder of images, behind one interface.

Plain Python (no Qt): the Live tab, ``fer-desktop video`` and the tests all
read frames through these classes.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from fer_desktop.live.playback import DEFAULT_FOLDER_PACE_S, PlaybackControl, is_seekable
from fer_desktop.pipeline.frame import Frame
from training.contract.photos import IMAGE_SUFFIXES, PhotoError, read_photo


class SourceError(RuntimeError):
    """A source that cannot be opened or stopped delivering; the message is for the user."""


class FrameSource(Protocol):
    description: str
    fps: float | None  # native rate for files; None for live cameras and folders
    is_live: bool

    def read(self) -> Frame | None:
        """Next frame, or None at the end of a file/folder; SourceError if it fails."""

    def close(self) -> None: ...


class CameraSource:
    """A webcam. Empty reads are retried: many webcams return some while warming up."""

    is_live = True
    fps = None
    max_failed_reads = 50  # consecutive empty reads before the camera counts as lost
    retry_delay_s = 0.02

    def __init__(self, index: int = 0, resolution: tuple[int, int] | None = None):
        self.description = f"camera {index}"
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(
                f"No camera found at index {index}. Open a video file or a folder of images instead."
            )
        if resolution is not None:  # a request: the camera picks its nearest mode, or ignores it
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, resolution[0])
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, resolution[1])
        self._index = 0
        self._start = time.monotonic()

    def read(self) -> Frame | None:
        for attempt in range(self.max_failed_reads):
            ok, image = self._cap.read()
            if ok and image is not None and image.size:
                break
            if attempt + 1 < self.max_failed_reads:
                time.sleep(self.retry_delay_s)
        else:
            raise SourceError(
                f"{self.description} stopped delivering frames "
                f"({self.max_failed_reads} empty reads in a row; unplugged?)"
            )
        frame = Frame(image, self._index, time.monotonic() - self._start)
        self._index += 1
        return frame

    def close(self) -> None:
        self._cap.release()


class VideoFileSource:
    is_live = False

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.description = self.path.name
        if self.path.is_dir():
            raise SourceError(f"{self.path} is a folder, not a video file")
        if not self.path.is_file():
            raise SourceError(f"Video file not found: {self.path}")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(
                f"Cannot read video file {self.path}: not a video, or a format OpenCV cannot decode"
            )
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and np.isfinite(fps) and fps > 0 else 30.0
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self._index = 0
        self._pending: Frame | None = None
        first = self.read()
        if first is None:
            self._cap.release()
            raise SourceError(f"Cannot read video file {self.path}: it holds no decodable frames")
        self._pending = first

    def read(self) -> Frame | None:
        if self._pending is not None:
            frame, self._pending = self._pending, None
            return frame
        ok, image = self._cap.read()
        if not ok or image is None:
            return None
        frame = Frame(image, self._index, self._timestamp())
        self._index += 1
        return frame

    def seek(self, index: int) -> None:
        """The next read returns frame ``index`` (clamped to the last frame when the count is known)."""
        if self.frame_count:
            index = min(index, self.frame_count - 1)
        self._pending = None
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        self._index = index

    def _timestamp(self) -> float:
        """Seconds of the frame just read, from the decoder: right for variable-frame-rate videos.

        A backend that reports no position (0 after the first frame, or not a number) falls back
        to the frame index over the nominal rate.
        """
        ms = self._cap.get(cv2.CAP_PROP_POS_MSEC)
        if np.isfinite(ms) and ms >= 0 and (ms > 0 or self._index == 0):
            return ms / 1000.0
        return self._index / self.fps

    def close(self) -> None:
        self._cap.release()


class ImageFolderSource:
    """Each image file of a folder (sorted, recursive) as one frame; unreadable files are skipped."""

    is_live = False
    fps = None

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.description = self.path.name or str(self.path)
        if not self.path.is_dir():
            raise SourceError(f"Folder not found: {self.path}")
        self.files = sorted(
            f for f in self.path.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
        )
        if not self.files:
            raise SourceError(f"No images in folder {self.path}")
        self.skipped: list[Path] = []
        self.frame_count = len(self.files)
        self._pos = 0

    def read(self) -> Frame | None:
        while self._pos < len(self.files):
            f = self.files[self._pos]
            self._pos += 1
            try:
                image = read_photo(f)  # the same decoder as labelling and training: EXIF honoured
            except PhotoError:
                self.skipped.append(f)
                continue
            # The index is the photo's position in `files` (a skipped photo leaves a gap), so that
            # a seek and the Live tab's slider speak of the same photo.
            return Frame(image, self._pos - 1, float(self._pos - 1), still=True)
        return None

    def seek(self, position: int) -> None:
        """The next read returns photo ``position`` of :attr:`files` (or the next readable one)."""
        self._pos = min(max(0, position), len(self.files) - 1)

    def close(self) -> None:
        pass


def open_source(spec: str | int, resolution: tuple[int, int] | None = None) -> FrameSource:
    """A camera index ("0", opened at ``resolution`` if given), a video file, or a folder of images."""
    text = str(spec).strip()
    if text.isdigit():
        return CameraSource(int(text), resolution)
    path = Path(text).expanduser()
    if path.is_dir():
        return ImageFolderSource(path)
    return VideoFileSource(path)


class LatestFrameGrabber:
    """Reads a source on its own thread and keeps only the newest frame.

    Consumers never see a backlog: when inference is slower than the camera,
    older frames are dropped, so what is shown is always current.  Files are
    paced at their native frame rate so a video plays at real speed; a folder
    of images hands over every image.

    The source is closed by the reading thread when it leaves its loop, never by
    :meth:`stop`: releasing a ``VideoCapture`` while another thread is inside its
    ``read()`` can crash. A read that blocks keeps the source open until it returns.
    """

    def __init__(
        self,
        source: FrameSource,
        realtime: bool = True,
        folder_interval: float = DEFAULT_FOLDER_PACE_S,
        control: PlaybackControl | None = None,
    ):
        self.source = source
        self.realtime = realtime
        # Pause, step, seek, loop and the seconds per image of a folder (when realtime).
        self.control = control if control is not None else PlaybackControl(folder_pace_s=folder_interval)
        self._seekable = is_seekable(source)
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._error: str | None = None
        self._finished = False
        self._stop = threading.Event()
        # A folder of photos has no clock: show every image rather than the newest one.
        self.lossless = not source.is_live and not source.fps
        self._thread = threading.Thread(target=self._run, name="frame-grabber", daemon=True)

    def start(self) -> LatestFrameGrabber:
        self._thread.start()
        return self

    def _run(self) -> None:
        clock: float | None = None  # when the source's time 0 would have played; None: restart it
        try:
            while not self._stop.is_set():
                if self._seekable:
                    go, seek_to, held = self.control.wait_turn(self._stop)
                    if not go:
                        break
                    if seek_to is not None:
                        self.source.seek(seek_to)
                    if held:
                        clock = None
                frame = self.source.read()
                if frame is None:
                    if self._seekable and self.control.loop and self.control.position is not None:
                        self.source.seek(0)  # only after at least one frame: an empty source ends
                        self.control.position, clock = None, None
                        continue
                    break
                self.control.position = frame.index
                if self.realtime and self.source.fps:
                    if clock is None:
                        clock = time.monotonic() - frame.time
                    delay = frame.time - (time.monotonic() - clock)
                    if delay > 0 and self._stop.wait(delay):
                        break
                with self._cond:
                    if self.lossless:
                        while self._frame is not None and not self._stop.is_set():
                            self._cond.wait(0.1)
                    self._frame = frame
                    self._cond.notify_all()
                if self.lossless and self.realtime and not self.control.wait_pace(self._stop):
                    break
        except SourceError as exc:
            self._error = str(exc)
        except Exception as exc:
            self._error = f"{self.source.description}: {exc}"
        finally:
            self.source.close()
            with self._cond:
                self._finished = True
                self._cond.notify_all()

    def next_frame(self, timeout: float = 0.5) -> Frame | None:
        """Newest frame not yet taken; None on timeout or when the source has ended."""
        with self._cond:
            if self._frame is None and not self._finished:
                self._cond.wait(timeout)
            frame, self._frame = self._frame, None
            self._cond.notify_all()
            return frame

    @property
    def finished(self) -> bool:
        with self._cond:
            return self._finished and self._frame is None

    @property
    def error(self) -> str | None:
        return self._error

    def stop(self, timeout: float = 2.0) -> bool:
        """Ask the reading thread to end and wait up to ``timeout``; True when it has (source closed)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if not self._thread.is_alive() and self._thread.ident is None:
            self.source.close()  # never started: no reading thread to close it
            return True
        self._thread.join(timeout=timeout)
        return not self._thread.is_alive()
