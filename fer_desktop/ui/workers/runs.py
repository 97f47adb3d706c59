"""One life cycle for every worker thread of the GUI (Live, Label, Train, model loading).

A tab holds a :class:`WorkerSlot`: at most one *current* run. Starting a run
discards the previous one without waiting for it: its stop flag is set, and
whatever it still emits is dropped, because every connection goes through a
guard that delivers a signal only while its run is the slot's current one
(queued signals of an old run arrive after the restart; the guard drops them
there, in the GUI thread). A discarded thread is never deleted while it runs:
workers have no parent widget, and the module keeps a reference to every
started worker until its ``finished`` signal has been handled in the GUI
thread. Nothing on the GUI thread waits for a worker; only :func:`wait_for_workers`
does, after the event loop has ended (at exit) or in tests.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QTimer

from fer_desktop.ui.workers.stoppable import StoppableWorker

_alive: set[StoppableWorker] = set()  # started and not yet known to be finished


def _keep_until_finished(worker: StoppableWorker) -> None:
    _alive.add(worker)
    # Weak references in every closure a worker's signals hold: a strong one would be a
    # cycle through C++ that Python's collector cannot see, and each run would leak.
    ref = weakref.ref(worker)
    worker.finished.connect(lambda: _release(ref))


def _release(ref: weakref.ref) -> None:
    """Drop the last reference once the thread has really ended (``finished`` comes just before)."""
    worker = ref()
    if worker is None:
        return
    if worker.isFinished():
        _alive.discard(worker)
    else:
        QTimer.singleShot(20, lambda: _release(ref))


def alive_workers() -> list[StoppableWorker]:
    """Workers started and not yet finished (discarded ones included)."""
    return [w for w in _alive if not w.isFinished()]


def wait_for_workers(timeout_s: float) -> bool:
    """Ask every worker to stop and wait for them; True when all ended.

    Blocks: only for after the event loop has ended (exit) and for tests.
    """
    deadline = time.monotonic() + timeout_s
    for worker in list(_alive):
        worker.request_stop()
    for worker in list(_alive):
        if not worker.wait(max(0, int((deadline - time.monotonic()) * 1000))):
            return False
    QCoreApplication.processEvents()  # deliver the finished signals, so _release runs
    for worker in list(_alive):
        if worker.isFinished():
            _alive.discard(worker)
    return True


class WorkerSlot:
    """A tab's current run: start, discard, or ask it to stop (and keep its last signals)."""

    def __init__(self) -> None:
        self.current: StoppableWorker | None = None

    def start(self, worker: StoppableWorker, connections: dict) -> StoppableWorker:
        """Discard the current run, connect ``{signal: slot}`` through the guard, start ``worker``."""
        self.discard()
        for signal, slot in connections.items():
            signal.connect(self._guard(worker, slot))
        self.current = worker
        _keep_until_finished(worker)
        worker.start()
        return worker

    def _guard(self, worker: StoppableWorker, slot: Callable) -> Callable:
        ref = weakref.ref(worker)

        def deliver(*args) -> None:
            if self.current is not None and self.current is ref():
                slot(*args)

        return deliver

    def discard(self) -> None:
        """Stop the current run without waiting; nothing it emits from now on is delivered."""
        if self.current is not None:
            self.current.request_stop()
            self.current = None

    def request_stop(self) -> None:
        """Ask the current run to stop; it stays current, so its final signals still arrive."""
        if self.current is not None:
            self.current.request_stop()

    def is_running(self) -> bool:
        return self.current is not None and self.current.isRunning()

    def is_current(self, worker: object) -> bool:
        return worker is not None and worker is self.current
