"""Start the GUI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from fer_desktop.engine import AnalyzerEngine
from fer_desktop.model_store import active_model_path
from fer_desktop.ui.main_window import MainWindow
from fer_desktop.ui.runs import wait_for_workers

EXIT_WAIT_S = 60.0  # a training run asked to stop may still evaluate and save its best epoch


def run_app(source: str = "0", model_path: Path | None = None, quit_after_s: float | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("FER Desktop")
    engine = AnalyzerEngine(model_path or active_model_path())
    window = MainWindow(engine, source)
    window.show()
    window.live_tab.start()
    if quit_after_s:
        QTimer.singleShot(int(quit_after_s * 1000), window.close)
    code = app.exec()
    window.close()  # stops the tabs' runs (closeEvent), if the loop ended another way
    # The window is gone, so waiting here blocks nobody; Python must not tear down a running QThread.
    if not wait_for_workers(EXIT_WAIT_S):
        print(f"FER Desktop: a worker did not end within {EXIT_WAIT_S:.0f} s; exiting.", file=sys.stderr)
        sys.stderr.flush()
        os._exit(code)
    engine.close()
    return code
