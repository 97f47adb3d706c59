"""The base of the app's worker threads: a stop flag the run loop polls."""

from __future__ import annotations

import itertools
import threading

from PySide6.QtCore import QThread

_run_ids = itertools.count(1)


class StoppableWorker(QThread):
    """A worker thread with a stop flag; ``run_id`` tags its run.

    Workers are never parented to a widget: a widget destroyed while its worker
    still runs would delete a running thread (Qt aborts). ``ui/runs.py`` keeps
    them alive until they finish.
    """

    def __init__(self):
        super().__init__()
        self._stop = threading.Event()
        self.run_id = next(_run_ids)

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()
