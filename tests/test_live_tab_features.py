"""The Live tab's timeline, face ids, Record, playback, camera picker, model line, layout and settings.

pytest-qt offscreen; the webcam is faked with videos the tests write.
"""

from __future__ import annotations

import csv
import errno
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt

from fer_desktop.live import cameras
from fer_desktop.live.recording import CSV_COLUMNS, WALL_TIME_COLUMN
from fer_desktop.live.session import RUNTIME_NAMES
from fer_desktop.pipeline.analyzer import FaceResult, FrameResult
from fer_desktop.pipeline.faces import Box
from fer_desktop.recent_folders import last_folder
from fer_desktop.settings import json_values, read_settings
from fer_desktop.ui.main_window import MainWindow
from tests.conftest import write_video
from training.contract.labels import CLASS_NAMES


@pytest.fixture(scope="module")
def three_face_video(tmp_path_factory, three_face_frame) -> Path:
    """Six seconds of three still faces (a still picture keeps the test independent of speed)."""
    path = tmp_path_factory.mktemp("video3") / "three_faces.avi"
    return write_video(path, [three_face_frame] * 180)


def _window(qtbot, engine, source: str | None) -> MainWindow:
    win = MainWindow(engine, source=source)
    qtbot.addWidget(win)
    with qtbot.waitExposed(win):
        win.show()
    return win


def _shown(qtbot, tab, n: int = 1, timeout: int = 30000) -> list[FrameResult]:
    seen: list[FrameResult] = []
    tab.result_shown.connect(seen.append)
    qtbot.waitUntil(lambda: len(seen) >= n, timeout=timeout)
    tab.result_shown.disconnect(seen.append)
    return seen


def _centres(result: FrameResult) -> dict[int, float]:
    return {f.track_id: f.box.x + f.box.w / 2 for f in result.faces}


def test_face_ids_survive_mirror_toggled_mid_video_and_the_timeline_follows(qtbot, engine, three_face_video):
    win = _window(qtbot, engine, str(three_face_video))
    tab = win.live_tab
    tab.start()
    before = _shown(qtbot, tab, 3)[-1]
    assert len(before.faces) == 3
    tab.mirror_box.setChecked(True)
    after = _shown(qtbot, tab, 4)[-1]
    assert tab.worker.mirror
    assert _centres(after).keys() == _centres(before).keys()  # the same ids, no new tracks
    for face_id, x in _centres(before).items():  # and each id is the same face, now on the other side
        assert _centres(after)[face_id] == pytest.approx(640 - x, abs=12)
    # The timeline has one lane per face, the selected one marked.
    assert tab.session.timeline.face_ids() == sorted(_centres(before))
    assert f"▶ Face {tab.session.selected_id}" in tab.timeline_view.face_labels
    assert len(tab.timeline_view.face_labels) == 3
    win.close()


def test_pause_step_seek_loop_and_a_click_redraws_while_paused(qtbot, engine, three_face_video):
    win = _window(qtbot, engine, str(three_face_video))
    tab = win.live_tab
    tab.start()
    _shown(qtbot, tab, 2)
    assert tab.playback.slider.isEnabled() and tab.playback.slider.maximum() == 179
    tab.playback.slider.setFocus()  # Space is the tab's shortcut wherever the focus is in it
    qtbot.keyClick(tab.playback.slider, Qt.Key.Key_Space)
    assert tab.playback.paused and tab.playback.pause_button.text() == "Resume"
    qtbot.wait(800)  # a frame already in flight is still shown
    seen: list[FrameResult] = []
    tab.result_shown.connect(seen.append)
    qtbot.wait(800)
    assert seen == []  # paused: nothing new
    last = tab.session.last_result.index
    tab.playback.step_button.click()
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=10000)
    assert seen[0].index == last + 1
    tab.playback.slider.setValue(150)  # a click on the groove or a key: a seek
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=10000)
    assert seen[1].index == 150 and tab.playback.position_label.text().startswith("00:00:05.0 /")
    # A click on another face: selection, panel and timeline change at once, with no new frame.
    other = next(f for f in tab.session.last_result.faces if f.track_id != tab.session.selected_id)
    drawn_before = tab.session.last_annotated.copy()
    tab.view.clicked_at.emit(other.box.x + other.box.w / 2, other.box.y + other.box.h / 2)
    assert tab.session.selected_id == other.track_id
    assert tab.panel.title().startswith(f"Face {other.track_id}:")
    assert f"▶ Face {other.track_id}" in tab.timeline_view.face_labels
    assert not np.array_equal(drawn_before, tab.session.last_annotated)
    qtbot.wait(300)
    assert len(seen) == 2
    tab.playback.loop_box.setChecked(True)
    assert tab.worker.playback.loop
    tab.result_shown.disconnect(seen.append)
    win.close()


def test_folder_next_previous_and_pace(qtbot, engine, tmp_path, one_face_frame):
    import cv2

    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), one_face_frame)
    win = _window(qtbot, engine, str(tmp_path))
    tab = win.live_tab
    tab.playback.pace.setValue(30.0)
    tab.start()
    assert _shown(qtbot, tab)[0].index == 0
    assert tab.playback.next_button.isVisibleTo(tab) and not tab.playback.step_button.isVisibleTo(tab)
    assert tab.worker.playback.folder_pace_s == 30.0
    with qtbot.waitSignal(tab.result_shown, timeout=10000) as blocker:
        tab.playback.next_button.click()
    assert blocker.args[0].index == 1 and tab.playback.position_label.text() == "2 / 3"
    with qtbot.waitSignal(tab.result_shown, timeout=10000) as blocker:
        tab.playback.prev_button.click()
    assert blocker.args[0].index == 0
    win.close()


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_record_writes_csv_and_video_finalised_on_source_change(qtbot, engine, face_video, tmp_path):
    win = _window(qtbot, engine, str(face_video))
    tab = win.live_tab
    tab.record.folder = tmp_path / "rec"
    tab.record.video_box.setChecked(True)
    assert not tab.record.record_button.isEnabled()  # nothing to record before a source runs
    tab.start()
    _shown(qtbot, tab)
    tab.record.record_button.click()
    assert tab.record.recording and tab.record.indicator.text().startswith("● REC 00:00:0")
    _shown(qtbot, tab, 5)
    tab.start(str(face_video))  # a source change ends the recording
    assert not tab.record.recording and not tab.record.record_button.isChecked()
    qtbot.waitUntil(lambda: not tab.record._finishing, timeout=10000)
    assert tab.record.indicator.text() == ""
    (csv_path,) = (tmp_path / "rec").glob("*.csv")
    (mp4_path,) = (tmp_path / "rec").glob("*.mp4")
    assert not list((tmp_path / "rec").glob(".*"))  # no part files left
    rows = _rows(csv_path)
    assert rows[0] == [*CSV_COLUMNS, WALL_TIME_COLUMN] and len(rows) >= 6
    assert {r[CSV_COLUMNS.index("emotion")] for r in rows[1:]} <= set(CLASS_NAMES)
    import cv2

    cap = cv2.VideoCapture(str(mp4_path))
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) >= 5
    assert int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == 640
    cap.release()
    # Stop finalises too.
    _shown(qtbot, tab)
    tab.record.record_button.click()
    _shown(qtbot, tab, 2)
    tab.stop()
    assert not tab.record.recording and not tab.record.record_button.isEnabled()
    qtbot.waitUntil(lambda: len(list((tmp_path / "rec").glob("*.csv"))) == 2, timeout=10000)
    win.close()


def test_nothing_stored_without_record_and_close_finalises_a_recording(qtbot, engine, face_video, tmp_path):
    win = _window(qtbot, engine, str(face_video))
    tab = win.live_tab
    tab.record.folder = tmp_path / "rec"
    tab.start()
    _shown(qtbot, tab, 3)
    assert not (tmp_path / "rec").exists()
    tab.record.record_button.click()
    _shown(qtbot, tab, 2)
    recorder = tab.record.recorder
    win.close()
    assert recorder.wait(10) and recorder.error is None
    assert [p.suffix for p in (tmp_path / "rec").iterdir()] == [".csv"]
    assert len(_rows(recorder.csv_path)) >= 3


def test_a_full_disk_while_recording_gives_a_message(qtbot, engine, face_video, tmp_path):
    win = _window(qtbot, engine, str(face_video))
    tab = win.live_tab
    tab.record.folder = tmp_path
    tab.start()
    _shown(qtbot, tab)
    tab.record.record_button.click()

    class FullDisk:
        def writerows(self, rows):
            raise OSError(errno.ENOSPC, "No space left on device")

    tab.record.recorder._rows._csv = FullDisk()
    with qtbot.waitSignal(tab.message, timeout=10000, check_params_cb=lambda m: "disk is full" in m):
        pass
    assert not tab.record.recording and not tab.record.record_button.isChecked()
    win.close()


def test_a_record_folder_that_cannot_be_made_gives_a_message(qtbot, engine, face_video, tmp_path):
    (tmp_path / "file").write_text("x")
    win = _window(qtbot, engine, str(face_video))
    tab = win.live_tab
    tab.record.folder = tmp_path / "file" / "rec"
    tab.start()
    _shown(qtbot, tab)
    with qtbot.waitSignal(tab.message, timeout=5000) as blocker:
        tab.record.record_button.click()
    assert blocker.args[0].startswith("Recording not started: cannot write")
    assert not tab.record.recording and not tab.record.record_button.isChecked()
    win.close()


def test_cameras_by_name_or_by_number(qtbot, engine, monkeypatch):
    monkeypatch.setattr(cameras, "enumerate_cameras", lambda: [])  # what this machine gives
    win = _window(qtbot, engine, "15")
    tab = win.live_tab
    assert tab.camera.index.isVisibleTo(tab) and not tab.camera.choice.isVisibleTo(tab)
    tab.camera.index.setValue(3)
    assert tab.camera.spec() == "3"
    win.close()

    fake = [
        SimpleNamespace(index=0, name="Integrated Camera"),
        SimpleNamespace(index=0, name="Integrated Camera"),  # listed twice (two formats)
        SimpleNamespace(index=2, name="USB Webcam"),
    ]
    monkeypatch.setattr(cameras, "enumerate_cameras", lambda: fake)
    win = _window(qtbot, engine, "15")
    tab = win.live_tab
    assert tab.camera.choice.isVisibleTo(tab) and not tab.camera.index.isVisibleTo(tab)
    names = [tab.camera.choice.itemText(i) for i in range(tab.camera.choice.count())]
    assert names == ["Integrated Camera (#0)", "USB Webcam (#2)"]
    tab.camera.choice.setCurrentIndex(1)
    tab.camera.resolution.setCurrentText("1280x720")
    assert tab.camera.spec() == "2"
    with qtbot.waitSignal(tab.message, timeout=10000):  # no camera 2 here: a message, no traceback
        tab.camera_button.click()
    assert tab.source_spec == "2"
    win.close()

    def broken():
        raise OSError("no video4linux")

    monkeypatch.setattr(cameras, "enumerate_cameras", broken)
    assert cameras.list_cameras() == []


def test_camera_list_refreshes_and_keeps_the_chosen_camera(qtbot, engine, monkeypatch):
    listed = [SimpleNamespace(index=0, name="Integrated Camera"), SimpleNamespace(index=2, name="USB Webcam")]
    monkeypatch.setattr(cameras, "enumerate_cameras", lambda: listed)
    win = _window(qtbot, engine, "15")
    tab = win.live_tab
    tab.camera.choice.setCurrentIndex(1)
    # Plugged in: a camera takes the number the USB webcam had; the choice follows its name.
    listed = [
        SimpleNamespace(index=0, name="Integrated Camera"),
        SimpleNamespace(index=2, name="Capture Card"),
        SimpleNamespace(index=3, name="USB Webcam"),
    ]
    tab.camera.refresh_button.click()
    names = [tab.camera.choice.itemText(i) for i in range(tab.camera.choice.count())]
    assert names == ["Integrated Camera (#0)", "Capture Card (#2)", "USB Webcam (#3)"]
    assert tab.camera.spec() == "3"
    assert json_values(**tab.settings())["camera"] == {"index": 3, "name": "USB Webcam"}
    listed = []  # all unplugged: back to the camera number, the chosen camera's
    tab.camera.refresh_button.click()
    assert tab.camera.index.isVisibleTo(tab) and not tab.camera.choice.isVisibleTo(tab)
    assert tab.camera.spec() == "3"
    tab.camera.index.setValue(7)  # typed while none was listed, then two cameras of one model appear
    listed = [SimpleNamespace(index=5, name="USB Webcam"), SimpleNamespace(index=7, name="USB Webcam")]
    tab.camera.refresh_button.click()
    assert tab.camera.spec() == "7"
    win.close()


def test_resolution_choice_reaches_the_camera(qtbot, engine, monkeypatch):
    import cv2

    from fer_desktop.live.sources import CameraSource

    asked: list[tuple[int, float]] = []

    class FakeCapture:
        def isOpened(self):  # noqa: N802 - OpenCV's name
            return True

        def set(self, prop, value):
            asked.append((prop, value))
            return True

        def release(self):
            pass

    monkeypatch.setattr(cv2, "VideoCapture", lambda index: FakeCapture())
    win = _window(qtbot, engine, "15")
    tab = win.live_tab
    tab.camera.resolution.setCurrentText("1920x1080")
    CameraSource(0, tab.camera.resolution_size())
    assert asked == [(cv2.CAP_PROP_FRAME_WIDTH, 1920), (cv2.CAP_PROP_FRAME_HEIGHT, 1080)]
    asked.clear()
    tab.camera.resolution.setCurrentText("Default")
    CameraSource(0, tab.camera.resolution_size())
    assert asked == []
    win.close()


def test_model_name_and_runtime_are_shown(qtbot, engine, face_video):
    win = _window(qtbot, engine, str(face_video))
    tab = win.live_tab
    with qtbot.waitSignal(tab.result_shown, timeout=30000):
        tab.start()
    text = tab.model_label.text()
    assert engine.model_path.name in text
    assert f"Runtime: {RUNTIME_NAMES[engine.classifier.runtime]}" in text
    win.close()


def _fake_result(index: int, n_faces: int, ms: float) -> FrameResult:
    rng = np.random.default_rng(index)
    faces = []
    for i in range(n_faces):
        probs = rng.random(len(CLASS_NAMES))
        faces.append(FaceResult(i + 1 + 10 * index, Box(20 + 60 * i, 40, 50, 50), probs / probs.sum()))
    return FrameResult(index, index / 30, faces, detect_ms=ms, infer_ms=ms / 3)


def test_the_layout_does_not_jitter_as_numbers_change(qtbot, engine):
    win = _window(qtbot, engine, "15")
    tab = win.live_tab
    image = np.full((480, 640, 3), 80, np.uint8)
    widgets = (tab, tab.side_widget, tab.faces_label, tab.fps_label, tab.latency_label, tab.timeline_view)
    hints, texts = [], set()
    for index, (n_faces, ms) in enumerate([(1, 3.2), (9, 12345.0), (0, 45.0), (4, 0.4)]):
        tab._draw(image, _fake_result(index, n_faces, ms))
        tab.record.indicator.setText(f"● REC 00:0{index}:1{index}")
        tab.playback.position_label.setText(f"00:00:0{index}.0 / 00:01:00.0")
        hints.append([w.sizeHint() for w in widgets] + [tab.record.sizeHint(), tab.playback.sizeHint()])
        texts.add((tab.faces_label.text(), tab.latency_label.text()))
    assert all(h == hints[0] for h in hints), [[(s.width(), s.height()) for s in h] for h in hints]
    assert len(texts) == 4  # the numbers did change
    win.close()


def test_settings_come_back_in_a_new_window(qtbot, engine, face_video, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    win = _window(qtbot, engine, "15")
    tab = win.live_tab
    tab.mirror_box.setChecked(True)
    tab.smoothing_slider.setValue(35)
    tab.camera.index.setValue(4)
    tab.camera.resolution.setCurrentText("640x480")
    tab.playback.loop_box.setChecked(True)
    tab.playback.pace.setValue(2.5)
    tab.record.video_box.setChecked(True)
    tab.record.folder = tmp_path / "my recordings"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(face_video), ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    tab.video_button.click()
    tab.folder_button.click()
    win.resize(1234, 777)
    win.close()
    assert read_settings()["window_size"] == [1234, 777]

    again = _window(qtbot, engine, None)  # no --source: the camera chosen last time
    tab = again.live_tab
    assert tab.source_spec == "4"
    assert (again.width(), again.height()) == (1234, 777)
    assert tab.mirror_box.isChecked() and tab.smoothing_slider.value() == 35
    assert engine.smoothing == pytest.approx(0.35)
    assert tab.camera.index.value() == 4 and tab.camera.resolution.currentText() == "640x480"
    assert tab.playback.loop_box.isChecked() and tab.playback.pace.value() == 2.5
    assert tab.record.video_box.isChecked() and tab.record.folder == tmp_path / "my recordings"
    assert last_folder("live_video") == str(face_video.parent.resolve())
    assert last_folder("live_folder") == str(tmp_path.resolve())
    again.close()
    engine.set_smoothing(0.6)  # the session's shared engine goes back to its default
