"""Pause, step, seek, loop and pace for file sources: a thread-safe remote for the frame grabber.

Plain Python (no Qt). The GUI thread calls the methods (each returns at once); the
grabber's reading thread asks :meth:`PlaybackControl.wait_turn` before every read,
so a paused video costs nothing and a step or seek delivers exactly one frame.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

DEFAULT_FOLDER_PACE_S = 1.0


def is_seekable(source) -> bool:
    """Files and folders can pause, step, seek and loop (they have ``seek``); a camera cannot."""
    return callable(getattr(source, "seek", None))


@dataclass(frozen=True)
class SourceInfo:
    """What the Live tab's playback controls need to know of an opened source."""

    seekable: bool  # a file or folder: pause, step, seek and loop apply
    folder: bool  # photos: next/previous and a pace instead of a clock
    frame_count: int  # frames or photos; 0 when unknown or live
    fps: float | None  # a video's native rate
    live: bool = False  # a camera: it can be lost and reconnected, never paused

    @classmethod
    def of(cls, source) -> SourceInfo:
        seekable = is_seekable(source)
        folder = seekable and not source.fps
        frame_count = int(getattr(source, "frame_count", 0) or 0)
        return cls(seekable, folder, frame_count, source.fps, bool(getattr(source, "is_live", False)))


class PlaybackControl:
    def __init__(self, loop: bool = False, folder_pace_s: float = DEFAULT_FOLDER_PACE_S):
        self._cond = threading.Condition()
        self._paused = False
        self._steps = 0
        self._seek: int | None = None
        self._loop = loop
        self._pace = folder_pace_s
        self._woken = False  # a command arrived while the grabber waited between photos
        self.position: int | None = None  # the last frame read (frame index, or photo position)

    # -- the GUI side --------------------------------------------------------------
    def pause(self) -> None:
        self._set(paused=True)

    def resume(self) -> None:
        self._set(paused=False)

    def toggle_pause(self) -> bool:
        """Pause or resume; returns whether it is now paused."""
        with self._cond:
            self._paused = not self._paused
            self._wake()
            return self._paused

    def step(self) -> None:
        """One frame forward (a paused source stays paused after it)."""
        with self._cond:
            self._steps += 1
            self._wake()

    def seek(self, position: int) -> None:
        """Go to ``position`` (frame index or photo number); a paused source shows that one frame."""
        with self._cond:
            self._seek = max(0, int(position))
            self._wake()

    def previous(self) -> None:
        """The frame or photo before the one shown."""
        with self._cond:
            shown = self.position if self.position is not None else 0
            self._seek = max(0, shown - 1)
            self._wake()

    def set_loop(self, on: bool) -> None:
        self._set(loop=on)

    def set_folder_pace(self, seconds: float) -> None:
        self._set(pace=max(0.0, float(seconds)))

    @property
    def paused(self) -> bool:
        with self._cond:
            return self._paused

    @property
    def loop(self) -> bool:
        with self._cond:
            return self._loop

    @property
    def folder_pace_s(self) -> float:
        with self._cond:
            return self._pace

    def _set(self, paused: bool | None = None, loop: bool | None = None, pace: float | None = None) -> None:
        with self._cond:
            if paused is not None:
                self._paused = paused
            if loop is not None:
                self._loop = loop
            if pace is not None:
                self._pace = pace
            self._wake()

    def _wake(self) -> None:
        self._woken = True
        self._cond.notify_all()

    # -- the grabber side ------------------------------------------------------------
    def wait_turn(self, stop: threading.Event) -> tuple[bool, int | None, bool]:
        """Block while paused with nothing to do; then ``(go, seek_to, waited)``.

        ``go`` is False when ``stop`` was set; ``seek_to`` is a position to move to
        before reading; ``waited`` says the source was held (its clock must restart).
        """
        waited = False
        with self._cond:
            while self._paused and not self._steps and self._seek is None:
                if stop.is_set():
                    return False, None, waited
                waited = True
                self._cond.wait(0.1)
            if self._seek is not None:
                seek, self._seek = self._seek, None
                self._steps = 0
                return not stop.is_set(), seek, True
            if self._steps:
                self._steps -= 1
                return not stop.is_set(), None, True
            return not stop.is_set(), None, waited

    def wait_pace(self, stop: threading.Event) -> bool:
        """Wait between two photos; cut short by any command (next, previous, pause, a new pace).

        Returns False when ``stop`` was set.
        """
        with self._cond:
            self._woken = False
            deadline = time.monotonic() + self._pace
            while not self._woken and not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
            return not stop.is_set()
