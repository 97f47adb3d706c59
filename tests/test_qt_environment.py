from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_qt_starts_after_cv2_import_without_opencv_plugin_paths():
    code = (
        "import os, cv2, fer_desktop.ui;"
        "from PySide6.QtWidgets import QApplication, QLabel;"
        "app = QApplication([]); w = QLabel('ok'); w.show(); app.processEvents();"
        "print(os.environ.get('QT_QPA_PLATFORM_PLUGIN_PATH', 'unset'))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "unset"
