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


def test_qt_calls_do_not_drop_references_to_none_or_true():
    """PySide6 6.12.0 steals a reference to None per void call and to True per emit.

    Before Python 3.12 these objects are not immortal: the Live tab makes dozens of such
    calls per frame and the app aborted after about 85 s of video ("deallocating None").
    In a child process: on an affected PySide6 the check itself can abort.
    """
    code = (
        "import sys;"
        "from PySide6.QtCore import QObject, Signal;"
        "from PySide6.QtWidgets import QApplication, QLabel;"
        "E = type('E', (QObject,), {'ping': Signal()});"
        "app = QApplication([]); label, e = QLabel(), E();"
        "n, t = sys.getrefcount(None), sys.getrefcount(True);"
        "[(label.setText('x'), e.ping.emit()) for _ in range(100)];"
        "print(sys.getrefcount(None) - n, sys.getrefcount(True) - t)"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr[-1000:]
    lost_none, lost_true = (int(v) for v in out.stdout.split())
    assert lost_none > -50 and lost_true > -50, (
        f"PySide6 drops references: None {lost_none}, True {lost_true}"
    )
