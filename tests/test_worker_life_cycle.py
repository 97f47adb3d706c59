"""The worker life cycle shared by the tabs (ui/runs.py), under pytest-qt offscreen.

Restarts drop an old run's signals, nothing waits for or deletes a running
thread, model swaps land between frames, results in flight stay bounded, and
a source that fails or blocks is handled.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("pytestqt")

from fer_desktop.live.sources import SourceError
from fer_desktop.pipeline.frame import Frame
from fer_desktop.ui.main_window import MainWindow
from fer_desktop.ui.workers import live_worker
from fer_desktop.ui.workers.runs import alive_workers
from tests.conftest import write_video


class ScriptedCamera:
    """A live source that delivers a face frame per read, then fails or blocks on cue."""

    is_live = True
    fps = None
    description = "scripted camera"

    def __init__(self, image: np.ndarray, fail_after: int | None = None, block_after: int | None = None):
        self.image = image
        self.fail_after = fail_after
        self.block_after = block_after
        self.reads = 0
        self.blocking = threading.Event()
        self.release = threading.Event()
        self.read_returned_at: float | None = None
        self.closed_at: float | None = None
        self.closed_by: str | None = None

    def read(self) -> Frame | None:
        self.reads += 1
        if self.block_after is not None and self.reads > self.block_after:
            self.blocking.set()
            self.release.wait(30)
            self.read_returned_at = time.monotonic()
            return None
        if self.fail_after is not None and self.reads > self.fail_after:
            raise SourceError(f"{self.description} stopped delivering frames")
        time.sleep(0.01)
        return Frame(self.image.copy(), self.reads - 1, self.reads / 30.0)

    def close(self) -> None:
        self.closed_at = time.monotonic()
        self.closed_by = threading.current_thread().name


@pytest.fixture
def window(qtbot, engine):
    win = MainWindow(engine, source="15")
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.fixture
def long_face_video(tmp_path, one_face_frame) -> Path:
    """Thirty seconds of a drifting face at 320x240: long enough to outlast the test's actions."""
    small = cv2.resize(one_face_frame, (320, 240))
    return write_video(tmp_path / "long.avi", [np.roll(small, dx % 40 - 20, axis=1) for dx in range(900)])


@pytest.fixture
def model_copy(model_path, tmp_path) -> Path:
    """The shipped model (with its TFLite copy and card) under another path: a second model to swap to.

    It lives in the user models folder, where the app trusts a card to vouch for a TFLite copy.
    """
    from fer_desktop.paths import user_models_dir

    copy_dir = user_models_dir() / f"copy-{tmp_path.name}"
    copy_dir.mkdir(parents=True)
    for f in model_path.parent.glob(model_path.stem + ".*"):
        shutil.copy(f, copy_dir / f.name)  # same names: the card's TFLite entry names the file
    return copy_dir / model_path.name


def shown_shapes(tab) -> list[tuple]:
    shapes: list[tuple] = []
    tab.result_shown.connect(lambda _r: shapes.append(tab.session.last_annotated.shape))
    return shapes


def test_live_restart_drops_the_previous_runs_results(qtbot, window, face_video, tmp_path):
    tab = window.live_tab
    other = write_video(tmp_path / "grey.avi", [np.full((240, 320, 3), 90, np.uint8)] * 60)
    with qtbot.waitSignal(tab.result_shown, timeout=30000):
        tab.start(str(face_video))
    time.sleep(0.5)  # the GUI is busy: the old run's next result is queued meanwhile
    messages: list[str] = []
    tab.message.connect(messages.append)
    shapes = shown_shapes(tab)
    tab.start(str(other))
    assert tab.source_label.text().startswith("Source: opening")
    assert tab.fps_label.text().split() == ["FPS", "-"]
    qtbot.waitUntil(lambda: len(shapes) >= 3, timeout=30000)
    assert set(shapes) == {(240, 320, 3)}  # never a 640x480 frame of the first video
    assert not any(face_video.name in m for m in messages)
    tab.stop()
    assert tab.source_label.text() == "Stopped" and tab.fps_label.text().split() == ["FPS", "-"]
    assert tab.start_button.text() == "Start"


def test_label_restart_drops_the_previous_runs_rows(qtbot, window, tmp_path, astronaut_bgr, three_face_frame):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for i in range(80):
        cv2.imwrite(str(first / f"a{i:02d}.jpg"), astronaut_bgr)
    cv2.imwrite(str(second / "three.png"), three_face_frame)
    tab = window.label_tab
    tab.start_labelling(first)
    qtbot.waitUntil(lambda: tab.progress.value() >= 1, timeout=60000)
    tab.photo.show_frame(astronaut_bgr)  # as if a face of the first folder were shown
    time.sleep(0.5)  # rows (maybe even "done") of the first run queue up meanwhile
    summaries = []
    tab.finished.connect(summaries.append)
    tab.start_labelling(second)
    assert not tab.photo.has_frame()
    qtbot.waitUntil(lambda: len(summaries) == 1, timeout=60000)
    qtbot.wait(300)  # anything late of the first run would arrive now
    assert len(summaries) == 1 and summaries[0].photos == 1 and summaries[0].faces == 3
    assert {r.path for r in tab.rows} == {"three.png"}
    assert tab.faces.rowCount() == 3
    assert {tab.faces.faces[i].path for i in range(3)} == {"three.png"}


def test_model_swap_loop_during_a_running_video(qtbot, window, long_face_video, model_path, model_copy):
    models = [model_copy, model_path]
    live, controller = window.live_tab, window.model_controller
    failures: list[str] = []
    live.message.connect(lambda m: failures.append(m) if "fail" in m.lower() else None)
    with qtbot.waitSignal(live.result_shown, timeout=30000):
        live.start(str(long_face_video))
    worker = live.worker
    # Through the model controller: loaded on a worker thread, the Live tab shows "loading".
    for i in range(4):
        with qtbot.waitSignal(controller.model_changed, timeout=60000):
            controller.use_model(models[i % 2])
            assert "loading" in live.model_label.text()
        assert window.engine.model_path == models[i % 2]
        with qtbot.waitSignal(live.result_shown, timeout=10000):
            pass
    # Straight at the engine from another thread, as fast as it loads, while frames run.
    swapped = []

    def hammer() -> None:
        for i in range(8):
            window.engine.use_model(models[i % 2])
            swapped.append(window.engine.classifier)

    thread = threading.Thread(target=hammer)
    thread.start()
    while thread.is_alive():
        qtbot.wait(50)
    with qtbot.waitSignal(live.result_shown, timeout=10000):
        pass
    assert live.worker is worker and worker.isRunning() and not failures
    assert window.engine.retired_count == 0
    assert all(c._classifier is None for c in swapped[:-1])  # replaced ones were closed, not kept
    live.stop()


def test_a_model_chosen_before_anything_ran_is_taken(qtbot, model_path, model_copy):
    from fer_desktop.pipeline.engine import AnalyzerEngine

    engine = AnalyzerEngine(model_path)  # nothing built yet
    win = MainWindow(engine, source="15")
    qtbot.addWidget(win)
    try:
        with qtbot.waitSignal(win.model_controller.model_changed, timeout=60000):
            win.model_controller.use_model(model_copy)
        assert engine.model_path == model_copy and "Now using" in win.train_tab.status.text()
        assert win.live_tab.model_label.text().splitlines()[0] == f"Model: {model_copy.name}"
    finally:
        win.close()
        engine.close()


def test_live_results_in_flight_are_bounded(qtbot, window, monkeypatch, one_face_frame):
    camera = ScriptedCamera(one_face_frame)
    monkeypatch.setattr(live_worker, "open_source", lambda spec, resolution=None: camera)
    tab = window.live_tab
    drawn = []
    tab.result_shown.connect(drawn.append)
    with qtbot.waitSignal(tab.result_shown, timeout=30000):
        tab.start("scripted")
    worker = tab.worker
    for _ in range(3):
        time.sleep(0.6)  # drawing is far slower than inference (the GUI thread is busy)
        assert worker.emitted - len(drawn) <= 1
        qtbot.wait(150)
    assert len(drawn) >= 3 and camera.reads > worker.emitted + 10  # frames were dropped, not queued
    tab.stop()


def test_source_failing_after_n_frames_offers_reconnect(qtbot, window, monkeypatch, one_face_frame):
    cameras = [ScriptedCamera(one_face_frame, fail_after=5), ScriptedCamera(one_face_frame)]
    monkeypatch.setattr(live_worker, "open_source", lambda spec, resolution=None: cameras.pop(0))
    tab = window.live_tab
    with qtbot.waitSignal(tab.message, timeout=30000, check_params_cb=lambda m: "stopped delivering" in m):
        tab.start("scripted")
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=5000)
    assert tab.reconnect_button.isVisibleTo(tab) and "failed" in tab.source_label.text()
    assert tab.fps_label.text().split() == ["FPS", "-"]
    with qtbot.waitSignal(tab.result_shown, timeout=30000):
        tab.reconnect_button.click()
    assert not tab.reconnect_button.isVisibleTo(tab) and tab.is_running()
    tab.stop()


def test_stop_while_a_read_blocks(qtbot, window, monkeypatch, one_face_frame):
    camera = ScriptedCamera(one_face_frame, block_after=3)
    monkeypatch.setattr(live_worker, "open_source", lambda spec, resolution=None: camera)
    monkeypatch.setattr(live_worker.LiveWorker, "stall_s", 0.5)
    tab = window.live_tab
    with qtbot.waitSignal(tab.result_shown, timeout=30000):
        tab.start("scripted")
    assert camera.blocking.wait(10)
    with qtbot.waitSignal(tab.message, timeout=5000, check_params_cb=lambda m: "no frame for" in m):
        pass
    assert tab.reconnect_button.isVisibleTo(tab) and tab.fps_label.text().split() == ["FPS", "-"]
    worker = tab.worker
    pressed = time.monotonic()
    tab.stop()
    assert time.monotonic() - pressed < 0.3  # the GUI thread does not wait for the worker
    assert not tab.is_running() and tab.start_button.text() == "Start"
    qtbot.waitUntil(worker.isFinished, timeout=10000)  # the worker gives up on the grabber
    assert camera.closed_at is None  # never released while read() runs
    camera.release.set()
    qtbot.waitUntil(lambda: camera.closed_at is not None, timeout=5000)
    assert camera.closed_by == "frame-grabber" and camera.closed_at >= camera.read_returned_at


def test_close_during_dataset_loading(qtbot, engine, tmp_path, monkeypatch):
    import training.data_prep
    from tests.test_train_tab import make_class_folders

    data = make_class_folders(tmp_path / "faces", 4)
    entered, release = threading.Event(), threading.Event()
    real_prepare = training.data_prep.prepare_data

    def slow_prepare(config, **kwargs):
        entered.set()
        release.wait(60)
        return real_prepare(config, **kwargs)

    monkeypatch.setattr(training.data_prep, "prepare_data", slow_prepare)
    win = MainWindow(engine, source="15")
    qtbot.addWidget(win)
    tab = win.train_tab
    tab.data_edit.setText(str(data))
    tab.mode.setCurrentIndex(1)
    tab.epochs.setValue(1)
    tab.val_source.setCurrentIndex(1)
    outcomes = []
    tab.training_done.connect(outcomes.append)
    tab.training_failed.connect(outcomes.append)
    tab.start_button.click()
    assert tab.status.text() == "Loading the dataset…"
    assert entered.wait(120)
    worker = tab.worker
    closing = time.monotonic()
    win.close()
    assert time.monotonic() - closing < 0.5
    assert worker.isRunning() and worker.parent() is None and worker in alive_workers()
    release.set()
    qtbot.waitUntil(worker.isFinished, timeout=60000)  # the stop request is honoured after loading
    qtbot.wait(200)
    assert outcomes == []  # nothing of the abandoned run reaches the closed window
    from fer_desktop.models.catalogue import user_models_dir

    assert not list(user_models_dir().rglob("*.keras"))  # no model from the abandoned run


def test_a_new_training_run_shows_nothing_of_the_last_one(qtbot, window, tmp_path):
    from training.contract.labels import CLASS_NAMES

    tab = window.train_tab
    metrics = {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 3}
    report = {"accuracy": 0.5, "n": 21, "per_class": dict.fromkeys(CLASS_NAMES, metrics),
              "confusion_matrix": [[3] * 7 for _ in range(7)]}  # fmt: skip
    tab.new_report.show_report(report)
    tab.epoch_progress.setMaximum(10)
    tab.epoch_progress.setValue(10)
    tab.time_left.setText("epoch 2/2, about 0 s left")
    tab.data_edit.setText(str(tmp_path / "no such dataset"))
    with qtbot.waitSignal(tab.training_failed, timeout=120000):
        tab.start()
        assert tab.new_report.cell(0, 0) == 0 and tab.new_report.per_class.item(0, 0) is None
        assert tab.epoch_progress.value() == 0 and tab.time_left.text() == ""
    assert tab.new_report.summary.text() == "–"


def test_each_new_source_numbers_its_faces_from_one(qtbot, window, monkeypatch, one_face_frame):
    """A face that leaves and comes back within a source gets a new id; the next source starts at 1."""
    blank = np.full_like(one_face_frame, 90)

    class ComingAndGoing(ScriptedCamera):
        def read(self) -> Frame | None:
            frame = super().read()
            if frame is not None and 5 <= frame.index < 50:  # gone for 1.5 s: its track ends
                frame.image = blank.copy()
            return frame

    cameras = [ComingAndGoing(one_face_frame), ScriptedCamera(one_face_frame)]
    monkeypatch.setattr(live_worker, "open_source", lambda spec, resolution=None: cameras.pop(0))
    tab = window.live_tab
    ids: list[int] = []
    tab.result_shown.connect(lambda r: ids.extend(f.track_id for f in r.faces))
    tab.start("scripted")
    qtbot.waitUntil(lambda: any(i > 1 for i in ids), timeout=30000)
    tab.stop()
    ids.clear()
    with qtbot.waitSignal(tab.result_shown, timeout=30000, check_params_cb=lambda r: bool(r.faces)):
        tab.start("scripted")
    assert ids and set(ids) == {1}
    tab.stop()
