"""Shared fixtures: real face images, videos written by the tests, the shipped model."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path_factory, monkeypatch):
    """Never touch the real per-user data folder from a test."""
    monkeypatch.setenv("FER_DESKTOP_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))


@pytest.fixture(autouse=True)
def _collect_garbage_in_the_main_thread():
    """A finished test's garbage (its Qt widgets) goes now, not in some later test's worker thread."""
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def _worker_threads_end_with_their_test():
    """A test's worker threads (stopped when its window closed) end before the next test starts."""
    yield
    runs = sys.modules.get("fer_desktop.ui.workers.runs")  # not imported by tests that must not load Qt
    if runs is not None:
        assert runs.wait_for_workers(120), "a worker thread outlived its test by 120 s"


@pytest.fixture(scope="session")
def astronaut_bgr() -> np.ndarray:
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="session")
def face_crop(astronaut_bgr) -> np.ndarray:
    """The astronaut's face with some margin (she faces the camera, easy for any detector)."""
    return astronaut_bgr[30:260, 140:320]


def canvas_with_faces(face: np.ndarray, positions: list[tuple[int, int]], size: int = 180) -> np.ndarray:
    """A 640x480 grey frame with a copy of ``face`` (resized to ``size``) at each position."""
    frame = np.full((480, 640, 3), 90, dtype=np.uint8)
    tile = cv2.resize(face, (size, int(size * face.shape[0] / face.shape[1])))
    for x, y in positions:
        h, w = tile.shape[:2]
        frame[y : y + h, x : x + w] = tile
    return frame


def write_video(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened(), "OpenCV cannot write MJPG video here"
    for f in frames:
        writer.write(f)
    writer.release()
    return path


@pytest.fixture(scope="session")
def one_face_frame(face_crop) -> np.ndarray:
    return canvas_with_faces(face_crop, [(230, 100)], size=200)


@pytest.fixture(scope="session")
def three_face_frame(face_crop) -> np.ndarray:
    return canvas_with_faces(face_crop, [(10, 120), (225, 120), (440, 120)], size=180)


@pytest.fixture(scope="session")
def face_video(tmp_path_factory, one_face_frame) -> Path:
    """A 2-second 640x480 video with one face drifting sideways."""
    path = tmp_path_factory.mktemp("video") / "one_face.avi"
    frames = [np.roll(one_face_frame, dx, axis=1) for dx in range(-30, 30)]
    return write_video(path, frames)


@pytest.fixture(scope="session")
def model_path() -> Path:
    from fer_desktop.paths import default_model_path

    path = default_model_path()
    assert path.is_file(), f"the shipped model is missing: {path}"
    return path


@pytest.fixture(scope="session")
def engine(model_path):
    """One analyzer for the whole session: loading TensorFlow models takes seconds."""
    from fer_desktop.pipeline.engine import AnalyzerEngine

    eng = AnalyzerEngine(model_path)
    eng.get()
    yield eng
    eng.close()


@pytest.fixture
def label_window(qtbot, engine):
    """The main window shown on its Label tab, as a user opens it to label a folder."""
    from fer_desktop.ui.main_window import MainWindow

    win = MainWindow(engine, source="15")
    qtbot.addWidget(win)
    win.show()
    win.tabs.setCurrentWidget(win.label_tab)
    qtbot.waitExposed(win)
    return win
