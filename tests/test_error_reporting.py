"""Unexpected errors: a dialog and the rotating log; Ctrl-C closes the GUI cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from fer_desktop.crash_log import log_path
from fer_desktop.ui.error_reporting import install_error_reporting

ROOT = Path(__file__).resolve().parents[1]


def _fail_in_slot() -> None:
    raise ZeroDivisionError("in a slot")


def test_unexpected_errors_show_a_dialog_and_reach_the_log(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    reporter = install_error_reporting(parent)
    try:
        assert sys.excepthook == reporter.excepthook
        worker = threading.Thread(target=lambda: {}["missing key"], name="doomed-worker")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible(), timeout=5000)
        assert "KeyError" in reporter.dialog.informativeText()
        assert (
            "doomed-worker" in reporter.dialog.detailedText()
            or "missing key" in reporter.dialog.detailedText()
        )
        try:
            _fail_in_slot()
        except ZeroDivisionError:
            sys.excepthook(*sys.exc_info())  # what PySide6 does with an exception a slot raised
        qtbot.waitUntil(lambda: reporter.count == 2, timeout=5000)
        assert "2 unexpected errors" in reporter.dialog.informativeText()
    finally:
        reporter.uninstall()
    assert sys.excepthook != reporter.excepthook
    logged = log_path().read_text(encoding="utf-8")
    assert "thread doomed-worker" in logged and "KeyError: 'missing key'" in logged
    assert "ZeroDivisionError: in a slot" in logged and "Traceback" in logged


def test_the_log_rotates():
    from fer_desktop import crash_log

    crash_log.install_log_file()
    for _ in range(2 * crash_log.MAX_BYTES // 1000 + 10):
        crash_log.log.info("x" * 1000)
    assert log_path().stat().st_size <= crash_log.MAX_BYTES
    assert log_path().with_name(log_path().name + ".1").is_file()


def test_ctrl_c_closes_the_gui_cleanly(tmp_path):
    env = {**os.environ, "FER_DESKTOP_DATA_DIR": str(tmp_path), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    gui = subprocess.Popen(
        [sys.executable, "-m", "fer_desktop", "--source", "15"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        log = tmp_path / "logs" / "fer-desktop.log"
        deadline = time.monotonic() + 60
        while not log.exists() and gui.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert log.exists(), "the GUI did not start"
        time.sleep(1.5)  # inside the event loop by now
        gui.send_signal(signal.SIGINT)
        _, err = gui.communicate(timeout=30)
    finally:
        if gui.poll() is None:
            gui.kill()
    assert gui.returncode == 0, err[-2000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


@pytest.mark.qt_no_exception_capture  # pytest-qt would take the hook's place
def test_slot_errors_go_through_the_hook(qtbot):
    """PySide6 hands an exception raised in a slot to sys.excepthook (the hook's whole premise)."""
    seen = []
    previous = sys.excepthook
    sys.excepthook = lambda *exc: seen.append(exc[0])
    try:
        QTimer.singleShot(0, _fail_in_slot)
        qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    finally:
        sys.excepthook = previous
    assert seen == [ZeroDivisionError]
