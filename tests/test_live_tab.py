"""The Live tab under QT_QPA_PLATFORM=offscreen with a video source (pytest-qt)."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from fer_desktop.ui.main_window import MainWindow
from fer_desktop.ui.workers.runs import alive_workers


@pytest.fixture
def window(qtbot, engine, face_video):
    win = MainWindow(engine, source=str(face_video))
    qtbot.addWidget(win)
    win.show()
    return win


def test_live_tab_receives_and_draws_results(qtbot, window, tmp_path):
    tab = window.live_tab
    with qtbot.waitSignal(tab.result_shown, timeout=30000) as blocker:
        tab.start()
    result = blocker.args[0]
    assert len(result.faces) == 1
    assert tab.view.has_frame()
    # The annotated frame differs from the raw one where the box is drawn.
    assert tab.session.last_annotated is not None and tab.session.last_annotated.shape == (480, 640, 3)
    values = tab.panel.values()
    assert sum(values.values()) == pytest.approx(1.0, abs=0.01)
    assert tab.session.selected_id == result.faces[0].track_id
    assert "Latency" in tab.latency_label.text()
    # Snapshot writes the annotated frame.
    tab.snapshot_dir = tmp_path / "snaps"
    tab.snapshot()
    (snap,) = (tmp_path / "snaps").glob("*.png")
    import cv2

    saved = cv2.imread(str(snap))
    assert np.array_equal(saved, tab.session.last_annotated)


def test_worker_stops_cleanly_when_window_closes(qtbot, window):
    tab = window.live_tab
    with qtbot.waitSignal(tab.result_shown, timeout=30000):
        tab.start()
    worker = tab.worker
    assert worker.isRunning()
    closing = time.monotonic()
    window.close()
    assert time.monotonic() - closing < 0.5  # nothing waits for the worker on the GUI thread
    assert tab.worker is None
    assert worker in alive_workers()  # kept alive, not deleted while it runs
    qtbot.waitUntil(worker.isFinished, timeout=10000)


def test_video_end_is_reported_not_raised(qtbot, window):
    tab = window.live_tab
    with qtbot.waitSignal(tab.message, timeout=30000, check_params_cb=lambda m: "end reached" in m):
        tab.start()
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=5000)
    assert tab.start_button.text() == "Start"


def test_missing_camera_shows_a_message_and_keeps_running(qtbot, engine):
    win = MainWindow(engine, source="15")
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.live_tab.message, timeout=10000) as blocker:
        win.live_tab.start()
    assert "No camera found" in blocker.args[0]
    assert "Open a video" in win.live_tab.view._message
    assert win.isVisible()


def test_unreadable_file_shows_a_message(qtbot, engine, tmp_path):
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"nope" * 100)
    win = MainWindow(engine, source=str(bad))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.live_tab.message, timeout=10000) as blocker:
        win.live_tab.start()
    assert "Cannot read video file" in blocker.args[0]


def test_gui_entry_point_runs_and_exits_cleanly(face_video, tmp_path):
    """`fer-desktop --source VIDEO --quit-after N` opens the window, runs, and exits 0."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FER_DESKTOP_DATA_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "--source", str(face_video), "--quit-after", "6"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
