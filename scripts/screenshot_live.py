"""Screenshot of the running Live tab on a video of a real face (for docs/).

xvfb-run -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_live.py docs/screenshot-live.png
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.make_inputs import write_face_video


def main(out: str) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from fer_desktop.engine import AnalyzerEngine
    from fer_desktop.model_store import active_model_path
    from fer_desktop.ui.main_window import MainWindow

    with tempfile.TemporaryDirectory() as tmp:
        video = write_face_video(Path(tmp) / "face.avi", seconds=20, faces=1)
        app = QApplication.instance() or QApplication([])
        engine = AnalyzerEngine(active_model_path())
        window = MainWindow(engine, str(video))
        window.resize(1100, 640)
        window.show()
        tab = window.live_tab
        shots = {"n": 0}

        def on_result(_result) -> None:
            shots["n"] += 1
            if shots["n"] == 40:  # let FPS and smoothing settle
                QGuiApplication.primaryScreen().grabWindow(window.winId()).save(out)
                print(f"platform {app.platformName()}: saved {out}")
                window.close()

        tab.result_shown.connect(on_result)
        tab.start()
        QTimer.singleShot(60000, window.close)
        app.exec()
        engine.close()
    return 0 if Path(out).exists() else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot-live.png"))
