"""The base of the app's worker threads: a stop flag the run loop polls."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread


class StoppableWorker(QThread):
    """``request_stop`` asks the loop to end; ``stop`` asks and waits for it."""

    stop_timeout_ms = 10000

    def __init__(self, parent=None):
        super().__init__(parent)
        self._stop = threading.Event()

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self, timeout_ms: int | None = None) -> bool:
        """True when the thread has finished within the timeout."""
        self._stop.set()
        return self.wait(self.stop_timeout_ms if timeout_ms is None else timeout_ms)
