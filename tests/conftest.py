"""Shared fixtures (real face images, videos written by the tests, the shipped model) and the test lanes.

Lanes: every test that uses ``qtbot`` is marked ``gui``, tests/test_bundle.py ``bundle``, and the tests in
``SLOW`` (about 4 s or more each on a 2-core machine) ``slow``; ``scripts/run_tests.sh --quick`` runs
``-m "not slow and not bundle"``, the plain command runs them all.
"""

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

# file name -> test functions (parametrised ones by their name) that take seconds: trainings,
# subprocesses that start TensorFlow or MediaPipe, the benchmarks and the GUI stress run.
SLOW: dict[str, set[str]] = {
    "test_architectures.py": {"test_efficientnetb2_takes_raw_pixels_and_outputs_probabilities"},
    "test_bench.py": {
        "test_fer_comparison_runs_on_tiny_inputs",
        "test_training_benchmark_runs",
        "test_label_benchmark_runs",
        "test_video_benchmark_runs",
        "test_video_benchmark_runs_with_the_annotated_video",
    },
    "test_calibration_panel.py": {"test_capture_delete_fine_tune_and_use"},
    "test_guided_calibration_panel.py": {"test_guided_flow_check_round_fine_tune_before_after_and_use"},
    "test_cli_output.py": {
        "test_a_command_that_loads_tensorflow_prints_none_of_its_start_up_lines",
        "test_video_is_quiet_unless_verbose",
    },
    "test_eval_bias.py": {"test_model_bench_prints_one_column_per_model"},
    "test_live_tab.py": {"test_gui_entry_point_runs_and_exits_cleanly"},
    "test_missing_classes.py": {
        "test_train_worker_forwards_the_warning_and_finishes",
        "test_train_init_cli_accepts_missing_emotions_with_a_warning",
    },
    "test_multi_worker.py": {"*"},
    "test_personal_calibration.py": {
        "test_one_emotion_given_alone_does_not_take_over_the_others",
        "test_rest_face_from_the_command_line_leaves_the_base_file_untouched",
        "test_stop_mid_run_leaves_a_usable_model",
    },
    "test_personalize.py": {
        "test_missing_emotions_unreadable_files_card_and_tflite_copy",
        "test_one_emotion_corrects_the_face_and_forgetting_stays_bounded",
        "test_one_emotion_of_face_crops_with_no_detect",
    },
    "test_stress_gui.py": {"*"},
    "test_int8_copy.py": {
        "test_the_shipped_int8_copy_agrees_with_the_keras_model",
        "test_a_missing_or_stale_copy_falls_back_with_the_reason",
    },
    "test_tflite_runtime.py": {"test_the_live_pipeline_starts_without_tensorflow"},
    "test_train_tab.py": {
        "test_stop_mid_epoch_keeps_the_best_checkpoint",
        "test_two_epochs_plot_save_and_use",
    },
    "test_training.py": {
        "test_train_then_eval_cli_writes_the_json_contract",
        "test_teacher_predictions_join_the_training_targets",
        "test_training_batches_mix_classes_even_when_data_is_sorted",
        "test_nan_loss_is_reported",
        "test_a_few_steps_lower_the_loss_and_round_trip",
    },
}
BUNDLE_FILES = {"test_bundle.py"}


def lane_marks(file_name: str, test_name: str, fixtures: list[str]) -> list[str]:
    """The lane markers of one test: by its file, its name and whether it drives Qt widgets."""
    marks = []
    slow = SLOW.get(file_name, set())
    if "*" in slow or test_name in slow:
        marks.append("slow")
    if file_name in BUNDLE_FILES:
        marks.append("bundle")
    if "qtbot" in fixtures:
        marks.append("gui")
    return marks


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = getattr(item, "originalname", item.name)
        for mark in lane_marks(item.path.name, name, list(getattr(item, "fixturenames", ()))):
            item.add_marker(mark)


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


class FakeClock:
    """A clock the test moves by hand (``clock.now += 1.0``), for code that takes ``clock``."""

    def __init__(self, now: float = 0.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


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


@pytest.fixture
def changing_face_video(tmp_path, one_face_frame) -> Path:
    """Four seconds of one face whose light changes, so captures are not near-duplicates."""
    frames = [np.clip(one_face_frame.astype(np.int16) + (i % 8) * 10 - 35, 0, 255).astype(np.uint8)
              for i in range(120)]  # fmt: skip
    return write_video(tmp_path / "me.avi", frames)


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
def own_engine(model_path):
    """A private engine: "Use this model" must not change the session's shared one."""
    from fer_desktop.pipeline.engine import AnalyzerEngine

    engine = AnalyzerEngine(model_path)
    yield engine
    engine.close()


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
