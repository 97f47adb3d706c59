"""Start the GUI."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from fer_desktop.models.catalogue import active_model_path
from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.error_reporting import install_error_reporting
from fer_desktop.ui.main_window import MainWindow
from fer_desktop.ui.workers.runs import wait_for_workers

EXIT_WAIT_S = 60.0  # a training run asked to stop may still evaluate and save its best epoch

# How often Python gets control back from Qt's event loop, so a Ctrl-C is seen promptly.
SIGNAL_POLL_MS = 200


def run_app(
    source: str | None = None, model_path: Path | None = None, quit_after_s: float | None = None
) -> int:
    """The GUI on ``source`` (default: the camera chosen last time, else camera 0)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("FER Desktop")
    engine = AnalyzerEngine(model_path or active_model_path())
    window = MainWindow(engine, source)
    reporter = install_error_reporting(window)
    window.show()
    window.live_tab.start()
    if quit_after_s:
        QTimer.singleShot(int(quit_after_s * 1000), window.close_without_asking)  # corrections are autosaved
    previous_sigint = quit_on_ctrl_c(window)
    try:
        code = app.exec()
        if window.isVisible():  # the loop ended another way: stop the tabs' runs (corrections are autosaved)
            window.close_without_asking()
        # The window is gone, so waiting here blocks nobody; Python must not tear down a running QThread.
        # Ctrl-C keeps its handler meanwhile: a second one must not end Python under a running thread.
        if not wait_for_workers(EXIT_WAIT_S):
            print(f"FER Desktop: a worker did not end within {EXIT_WAIT_S:.0f} s; exiting.", file=sys.stderr)
            sys.stderr.flush()
            os._exit(code)
    finally:
        signal.signal(signal.SIGINT, previous_sigint)
        reporter.uninstall()
    engine.close()
    return code


def quit_on_ctrl_c(window: MainWindow):
    """Ctrl-C in the terminal closes the window like its close button (workers stopped, work saved).

    Python handles a signal only when it runs bytecode; inside Qt's event loop it may not
    for a long time, so a timer hands it control every few hundred ms.  Returns the
    previous handler.
    """
    previous = signal.signal(signal.SIGINT, lambda *_: window.close_without_asking())
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(SIGNAL_POLL_MS)
    return previous
