"""The Live tab never shows a picture that is not current: a failed or stalled source leaves only its
message, Mirror redraws a paused frame, Reconnect is for cameras, Snapshot needs a frame.

pytest-qt offscreen; cameras and a video that breaks mid-way are scripted sources, the rest are
videos the tests write.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QImage

from fer_desktop.live.session import NO_FACES
from fer_desktop.live.sources import SourceError
from fer_desktop.pipeline.frame import Frame
from fer_desktop.pipeline.overlay import draw_results
from fer_desktop.ui.main_window import MainWindow
from fer_desktop.ui.widgets.frame_view import FrameView, bgr_to_qimage
from fer_desktop.ui.workers import live_worker
from tests.conftest import canvas_with_faces, write_video
from tests.test_worker_life_cycle import ScriptedCamera


class BreakingVideo:
    """A video file that plays a few frames at 30 fps, then cannot be read any more."""

    is_live = False
    fps = 30.0
    description = "clip.mp4"

    def __init__(self, image: np.ndarray, fail_after: int):
        self.image, self.fail_after, self.reads = image, fail_after, 0

    def read(self) -> Frame | None:
        self.reads += 1
        if self.reads > self.fail_after:
            raise SourceError(f"Cannot read frame {self.reads} of clip.mp4 (damaged?)")
        return Frame(self.image.copy(), self.reads - 1, (self.reads - 1) / self.fps)

    def close(self) -> None:
        pass


@pytest.fixture
def window(qtbot, engine):
    win = MainWindow(engine, source="15")
    qtbot.addWidget(win)
    with qtbot.waitExposed(win):
        win.show()
    yield win
    win.close()


@pytest.fixture
def left_face_video(tmp_path, face_crop) -> Path:
    """Five seconds of one still face on the left: mirrored, it is plainly elsewhere."""
    frame = canvas_with_faces(face_crop, [(40, 120)], size=180)
    return write_video(tmp_path / "left.avi", [frame] * 150)


def _scripted(monkeypatch, *sources) -> None:
    queue = list(sources)
    monkeypatch.setattr(live_worker, "open_source", lambda spec, resolution=None: queue.pop(0))


def _only_the_message(view: FrameView) -> bool:
    """The view, as rendered, is exactly an empty view with its message: no pixel of a frame or box."""
    empty = FrameView()
    empty.resize(view.size())
    empty.clear(view._message)
    rendered, expected = (
        w.grab().toImage().convertToFormat(QImage.Format.Format_RGB32) for w in (view, empty)
    )
    return not view.has_frame() and rendered == expected


def _assert_cleared(tab, text: str) -> None:
    assert text in tab.view._message and _only_the_message(tab.view)
    assert tab.session.last_annotated is None and not tab.snapshot_button.isEnabled()
    assert tab.panel.title() == "No face" and not any(tab.panel.values().values())
    assert tab.faces_label.text() == NO_FACES and tab.timeline_view.face_labels == []


def test_a_camera_lost_mid_run_leaves_only_its_message_and_offers_reconnect(
    qtbot, window, monkeypatch, one_face_frame
):
    _scripted(monkeypatch, ScriptedCamera(one_face_frame, fail_after=8), ScriptedCamera(one_face_frame))
    tab = window.live_tab
    assert not tab.snapshot_button.isEnabled()  # no frame yet: nothing to save
    tab.start("scripted")
    assert not tab.snapshot_button.isEnabled() and not tab.view.has_frame()
    with qtbot.waitSignal(tab.result_shown, timeout=30000):
        pass
    assert tab.snapshot_button.isEnabled() and not _only_the_message(tab.view)
    assert tab.panel.title().startswith("Face ")
    with qtbot.waitSignal(tab.message, timeout=30000, check_params_cb=lambda m: "stopped delivering" in m):
        pass
    _assert_cleared(tab, "scripted camera stopped delivering frames")
    assert "Reconnect" in tab.view._message and tab.reconnect_button.isVisibleTo(tab)
    with qtbot.waitSignal(tab.result_shown, timeout=30000):
        tab.reconnect_button.click()
    assert tab.view.has_frame() and tab.snapshot_button.isEnabled()
    tab.stop()


def test_a_video_that_breaks_mid_way_leaves_only_its_message_and_no_reconnect(
    qtbot, window, monkeypatch, one_face_frame
):
    _scripted(monkeypatch, BreakingVideo(one_face_frame, fail_after=6))
    tab = window.live_tab
    with qtbot.waitSignal(tab.result_shown, timeout=30000):
        tab.start("clip.mp4")
    with qtbot.waitSignal(tab.message, timeout=30000, check_params_cb=lambda m: "Cannot read frame" in m):
        pass
    _assert_cleared(tab, "Cannot read frame 7 of clip.mp4")
    assert not tab.reconnect_button.isVisibleTo(tab) and "Reconnect" not in tab.view._message
    assert "Open video…" in tab.view._message  # what to do instead


def test_reconnect_is_offered_for_a_missing_camera_not_a_missing_file(qtbot, window, tmp_path):
    tab = window.live_tab
    with qtbot.waitSignal(tab.message, timeout=10000, check_params_cb=lambda m: "No camera found" in m):
        tab.start("15")
    assert tab.reconnect_button.isVisibleTo(tab) and _only_the_message(tab.view)
    with qtbot.waitSignal(tab.message, timeout=10000) as said:
        tab.start(str(tmp_path / "gone.mp4"))
    assert "gone.mp4" in said.args[0]
    assert not tab.reconnect_button.isVisibleTo(tab) and _only_the_message(tab.view)


def test_a_stalled_camera_shows_no_stale_frame(qtbot, window, monkeypatch, one_face_frame):
    camera = ScriptedCamera(one_face_frame, block_after=3)
    _scripted(monkeypatch, camera)
    monkeypatch.setattr(live_worker.LiveWorker, "stall_s", 0.5)
    tab = window.live_tab
    try:
        with qtbot.waitSignal(tab.result_shown, timeout=30000):
            tab.start("scripted")
        with qtbot.waitSignal(tab.message, timeout=10000, check_params_cb=lambda m: "no frame for" in m):
            pass
        assert "no frame for" in tab.view._message and _only_the_message(tab.view)
        assert not tab.snapshot_button.isEnabled() and tab.reconnect_button.isVisibleTo(tab)
        tab.stop()
        assert not tab.snapshot_button.isEnabled()
    finally:
        camera.release.set()


def test_mirror_redraws_the_paused_frame_flipped_and_stop_keeps_it_to_save(
    qtbot, window, left_face_video, tmp_path
):
    tab = window.live_tab
    assert not tab.mirror_box.isChecked()
    with qtbot.waitSignal(tab.result_shown, timeout=30000):
        tab.start(str(left_face_video))
    tab.playback.toggle_pause()
    qtbot.wait(800)  # a frame already on its way is still shown
    seen: list = []
    tab.result_shown.connect(seen.append)
    image, result, selected = tab.session.last_image, tab.session.last_result, tab.session.selected_id
    (face,) = result.faces
    drawn = tab.session.last_annotated.copy()

    tab.mirror_box.setChecked(True)  # no new frame comes while paused: the kept one is redrawn
    assert tab.worker.mirror and np.array_equal(tab.session.last_image, cv2.flip(image, 1))
    (flipped,) = tab.session.last_result.faces
    assert flipped.track_id == face.track_id and tab.session.selected_id == selected
    assert flipped.box.x == 640 - face.box.x - face.box.w and flipped.box.x > 320  # now on the right
    expected = draw_results(cv2.flip(image, 1), result.mirrored(640), selected)
    assert np.array_equal(tab.session.last_annotated, expected)
    assert tab.view._image == bgr_to_qimage(expected)  # what the view paints
    tab.mirror_box.setChecked(False)
    assert np.array_equal(tab.session.last_annotated, drawn) and tab.view._image == bgr_to_qimage(drawn)
    tab.mirror_box.setChecked(True)
    qtbot.wait(300)
    assert seen == []  # all of it without a new frame
    tab.result_shown.disconnect(seen.append)

    tab.stop()  # the frame stopped on stays, and can still be flipped and saved
    assert tab.view.has_frame() and tab.snapshot_button.isEnabled()
    tab.mirror_box.setChecked(False)
    assert np.array_equal(tab.session.last_annotated, drawn)
    tab.snapshot_dir = tmp_path / "snaps"
    tab.snapshot_button.click()
    (snap,) = (tmp_path / "snaps").glob("*.png")
    assert np.array_equal(cv2.imread(str(snap)), drawn)
