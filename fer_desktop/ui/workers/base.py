"""One shape for every job the GUI runs on a thread, after superqt's ``thread_worker``.

A job is ``work()``: it reports ``progress`` between its steps, checks
``stop_requested`` there, and returns its value (``returned``) or raises. The one
try/except tail that turns an exception into a message a person can read
(``errored``) lives here, once. ``started`` and ``finished`` are QThread's own;
the tab's :class:`~fer_desktop.ui.workers.runs.WorkerSlot` connects them through its guard.
"""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import Signal

from fer_desktop.ui.workers.stoppable import StoppableWorker


class Worker(StoppableWorker):
    """Runs :meth:`work` once; its value goes out as ``returned``, a failure as ``errored``."""

    progress = Signal(object)  # what the job reports between steps (a job's own documented shape)
    returned = Signal(object)  # work()'s value; not emitted for None
    errored = Signal(str)  # a user-facing message; the job has ended

    #: Errors whose own text is the whole message (they are written for people).
    expected_errors: ClassVar[tuple[type[BaseException], ...]] = ()
    #: What the job was doing, for the message of an unexpected error.
    doing: ClassVar[str] = "The job"

    def work(self) -> Any:
        raise NotImplementedError

    def describe_failure(self, exc: BaseException) -> str:
        """The message for an unexpected error: what was being done, and the error's type and text."""
        return f"{self.doing} failed: {type(exc).__name__}: {exc}"

    def run(self) -> None:
        try:
            value = self.work()
        except self.expected_errors as exc:
            self.errored.emit(str(exc))
        except Exception as exc:
            self.errored.emit(self.describe_failure(exc))
        else:
            if value is not None:
                self.returned.emit(value)
