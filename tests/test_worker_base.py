"""The worker base: a job's value, its expected and unexpected errors, and its progress reach the tab."""

from __future__ import annotations

from fer_desktop.ui.workers.base import Worker
from fer_desktop.ui.workers.runs import WorkerSlot


class _Job(Worker):
    expected_errors = (FileNotFoundError,)
    doing = "Counting"

    def __init__(self, outcome):
        super().__init__()
        self.outcome = outcome

    def work(self):
        for i in range(3):
            if self.stop_requested:
                return None
            self.progress.emit(i)
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def _run(qtbot, outcome):
    got = {"progress": [], "returned": [], "errored": []}
    job = _Job(outcome)
    slot = WorkerSlot()
    slot.start(
        job,
        {
            job.progress: got["progress"].append,
            job.returned: got["returned"].append,
            job.errored: got["errored"].append,
        },
    )
    qtbot.waitUntil(lambda: job.isFinished(), timeout=5000)
    qtbot.wait(50)  # queued signals
    return got


def test_the_value_and_progress_arrive(qtbot):
    got = _run(qtbot, {"n": 3})
    assert got == {"progress": [0, 1, 2], "returned": [{"n": 3}], "errored": []}


def test_an_expected_error_is_its_own_message(qtbot):
    got = _run(qtbot, FileNotFoundError("No photos in /x"))
    assert got["errored"] == ["No photos in /x"] and got["returned"] == []


def test_an_unexpected_error_says_what_was_being_done(qtbot):
    got = _run(qtbot, ZeroDivisionError("division by zero"))
    assert got["errored"] == ["Counting failed: ZeroDivisionError: division by zero"]
