"""Start the GUI."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from fer_desktop.engine import AnalyzerEngine
from fer_desktop.model_store import active_model_path
from fer_desktop.ui.main_window import MainWindow


def run_app(source: str = "0", model_path: Path | None = None, quit_after_s: float | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("FER Desktop")
    engine = AnalyzerEngine(model_path or active_model_path())
    window = MainWindow(engine, source)
    window.show()
    window.live_tab.start()
    if quit_after_s:
        QTimer.singleShot(int(quit_after_s * 1000), window.close)
    try:
        return app.exec()
    finally:
        window.live_tab.shutdown()
        engine.close()
