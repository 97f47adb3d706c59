"""Guided calibration in the Live tab under pytest-qt, on a video the test writes.

The panel's guided view runs on a fake clock the test moves (the shipped durations: a
3-2-1 countdown, 5 s of rest face, 3 s per emotion, 1.5 s per check), one new frame of the
video after each move, so what is stored when is exact.  Three steps keep it short.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from fer_desktop.personal.guided import STEPS, TIMINGS, check_text
from fer_desktop.ui.live import calibration_panel
from fer_desktop.ui.main_window import DEFAULT_SIZE, MainWindow
from fer_desktop.ui.workers import live_worker
from tests.conftest import FakeClock
from tests.test_worker_life_cycle import ScriptedCamera

FRAME_S = 0.35  # fake seconds between two frames: more than the store's throttle
# The counts asked for below leave room for frames the store refuses as near-duplicates (the
# video's light repeats every 8 frames, and a loaded machine may show every 8th).


@pytest.fixture
def guided_window(qtbot, own_engine, changing_face_video):
    """The main window at its default size, playing the video in a loop, the face selected."""
    user_dir = Path(os.environ["FER_DESKTOP_DATA_DIR"])
    earlier = user_dir / "calibration" / "happy" / "0001.png"  # a photo from before the guided run
    earlier.parent.mkdir(parents=True)
    cv2.imwrite(str(earlier), np.full((64, 64, 3), 128, np.uint8))
    win = MainWindow(own_engine, source=str(changing_face_video))
    qtbot.addWidget(win)
    with qtbot.waitExposed(win):
        win.show()
    assert (win.width(), win.height()) == DEFAULT_SIZE
    live = win.live_tab
    live.playback.loop_box.setChecked(True)
    guided = live.calibration.guided_view
    guided.clock, guided.steps = FakeClock(1000.0), STEPS[:3]  # rest face, happy, surprise
    assert guided.timings == TIMINGS
    live.start()
    qtbot.waitUntil(lambda: live.session.selected_face() is not None, timeout=60000)
    yield win
    win.close()


def frames(qtbot, live, seconds: float = 0.0, n: int = 0) -> None:
    """Let ``seconds`` of fake time pass, a new frame every FRAME_S; or ``n`` frames with no time passing."""
    clock = live.calibration.guided_view.clock
    steps = n or round(seconds / FRAME_S)
    for _ in range(steps):
        if not n:
            clock.now += seconds / steps
        with qtbot.waitSignal(live.result_shown, timeout=30000):
            pass


def on_screen(win, widget) -> bool:
    """Shown, inside the window and inside the side column's viewport as it is scrolled now."""
    QApplication.processEvents()  # the layout of what was just shown or hidden
    side = win.live_tab.side_scroll
    top_left = widget.mapTo(win, widget.rect().topLeft())
    rect = widget.rect().translated(top_left)
    viewport = side.viewport().rect().translated(side.viewport().mapTo(win, side.viewport().rect().topLeft()))
    return widget.isVisible() and win.rect().contains(rect) and viewport.contains(rect)


def test_guided_flow_check_round_fine_tune_before_after_and_use(qtbot, guided_window, monkeypatch):
    from training.config import PersonalizeSettings

    win, live = guided_window, guided_window.live_tab
    panel = live.calibration
    guided, store, check = panel.guided_view, panel.store, panel.check_store
    earlier = store.photos("happy")
    panel.guided_button.click()
    assert guided.isVisible() and not panel.free_box.isVisible() and not panel.tune_button.isEnabled()
    assert (guided.progress_label.text(), guided.big_label.text()) == ("1 of 3", "3")
    assert guided.hint_label.text() == "Relax and look at the camera for five seconds"
    assert all(on_screen(win, b) for b in (guided.skip_button, guided.redo_button, guided.cancel_button))
    assert on_screen(win, panel.tune_button) and on_screen(win, panel.use_button)

    frames(qtbot, live, n=3)  # the countdown: frames come, nothing is stored
    frames(qtbot, live, 1.05)
    assert guided.big_label.text() == "2" and store.total() == 1
    frames(qtbot, live, 1.95)
    assert guided.big_label.text().startswith("Capturing") and store.counts()["neutral"] <= 1
    frames(qtbot, live, 4.9)  # the rest face's five seconds
    neutral = store.counts()["neutral"]
    assert neutral >= 6 and store.photos("happy") == earlier

    frames(qtbot, live, 0.35)  # happy's countdown
    assert guided.progress_label.text() == "2 of 3" and "broad smile" in guided.hint_label.text()
    frames(qtbot, live, n=3)
    frames(qtbot, live, 2.4)
    assert store.photos("happy") == earlier and store.counts()["neutral"] == neutral
    frames(qtbot, live, 1.4)  # into the capture
    assert store.counts()["happy"] > 1
    assert "“Happy”" in guided.redo_button.toolTip()  # the step Redo redoes
    guided.redo_button.click()  # only this run's happy photos go; the step starts again
    assert store.photos("happy") == earlier and guided.big_label.text() == "3"
    assert guided.progress_label.text() == "2 of 3" and store.counts()["neutral"] == neutral
    frames(qtbot, live, 2.8)
    assert store.photos("happy") == earlier  # the countdown again
    frames(qtbot, live, 3.5)
    happy = store.counts()["happy"]
    assert happy >= 4 and guided.progress_label.text() == "3 of 3"  # surprise's countdown
    guided.skip_button.click()
    assert store.counts()["surprise"] == 0 and guided.progress_label.text() == "Check 1 of 2"

    frames(qtbot, live, 2.8)  # the check round's countdown: nothing stored
    assert check.total() == 0
    frames(qtbot, live, 1.4 + 0.35)
    assert check.counts()["neutral"] >= 2 and check.counts()["happy"] == 0
    assert store.counts()["neutral"] == neutral and store.counts()["happy"] == happy
    frames(qtbot, live, 4.55)
    assert check.counts()["happy"] >= 2 and store.counts()["happy"] == happy
    assert not guided.skip_button.isVisible() and "done" in guided.big_label.text()
    assert on_screen(win, guided.back_button) and on_screen(win, panel.tune_button)
    totals = store.counts(), check.counts()
    frames(qtbot, live, 6.0)  # after the end: nothing stored, whatever comes
    assert (store.counts(), check.counts()) == totals
    live.stop()

    panel.settings = PersonalizeSettings(steps=3)
    with qtbot.waitSignal(panel.finished, timeout=180000) as blocker:
        panel.tune_button.click()
    card = blocker.args[0]
    assert card["name"].startswith("my face, ") and Path(card["path"]).parent.name == card["name"]
    assert card["photos"]["per_emotion"] == {"happy": happy, "neutral": neutral}  # no check photo trained on
    scores = card["check"]["per_emotion"]
    assert {k: v["n"] for k, v in scores.items()} == {k: n for k, n in check.counts().items() if n}
    assert check_text(card["check"]) in panel.result_label.text() and "→" in panel.result_label.text()
    qtbot.waitUntil(lambda: not panel.runs.is_running(), timeout=30000)
    assert on_screen(win, panel.use_button) and on_screen(win, panel.result_label)

    passed: list = []  # a later fine-tune (free capture) scores no check photo: they had their use

    def record(*_args, **kwargs):
        passed.append(kwargs)
        raise RuntimeError("recorded")

    monkeypatch.setattr(calibration_panel, "PersonalizeWorker", record)
    with pytest.raises(RuntimeError, match="recorded"):
        panel.fine_tune()
    assert passed[0]["check_folder"] is None and check.total() > 0

    with qtbot.waitSignal(win.model_controller.model_changed, timeout=60000):
        panel.use_button.click()
    assert live.model_label.text().startswith(f"Model: {card['name']}\n")
    models = win.train_tab.models_page.models
    assert any(card["name"] in models.item(i).text() for i in range(models.count()))

    guided.back_button.click()
    assert panel.free_box.isVisible() and not guided.isVisible()
    assert on_screen(win, panel.guided_button) and on_screen(win, panel.delete_all_button)
    asked: list[str] = []
    answers = [False, True]
    monkeypatch.setattr(
        calibration_panel, "ask_yes_no", lambda _p, _t, text: asked.append(text) or answers.pop(0)
    )
    panel.delete_all_button.click()  # No: every photo stays
    assert "check photos of the guided calibration" in asked[0] and str(check.root) in asked[0]
    assert (store.counts(), check.counts()) == totals
    panel.delete_all_button.click()
    assert store.total() == 0 and check.total() == 0 and len(asked) == 2


def test_free_capture_is_off_during_a_run_cancel_keeps_photos_and_a_full_disk_stops(
    qtbot, guided_window, monkeypatch
):
    live = guided_window.live_tab
    panel = live.calibration
    guided, store = panel.guided_view, panel.store
    panel.emotion_buttons.button(3).click()  # happy, free capture on
    panel.enabled_box.setChecked(True)
    panel.guided_button.click()
    assert not panel.enabled_box.isChecked()  # the free capture is off while the run is on
    frames(qtbot, live, n=3)
    assert store.counts()["happy"] == 1  # the free capture stored nothing either
    frames(qtbot, live, 4.0)
    taken = store.counts()["neutral"]
    assert taken >= 1
    guided.cancel_button.click()
    assert store.counts()["neutral"] == taken and "cancelled" in guided.big_label.text()
    frames(qtbot, live, 3.0)
    assert store.counts()["neutral"] == taken  # nothing after Cancel
    guided.back_button.click()
    assert panel.free_box.isVisible() and panel.thumbs.count() == store.total()

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    panel.guided_button.click()
    monkeypatch.setattr(store, "offer", full)
    with qtbot.waitSignal(panel.message, timeout=30000) as said:
        frames(qtbot, live, 3.7)
    assert "the disk is full" in said.args[0] and said.args[0] in guided.big_label.text()
    assert not guided.active() and guided.back_button.isVisible() and store.counts()["neutral"] == taken


def test_the_source_stopping_cancels_a_run_keeps_its_photos_and_says_why(qtbot, guided_window):
    live = guided_window.live_tab
    panel = live.calibration
    guided, store = panel.guided_view, panel.store
    assert panel.guided_button.isEnabled()
    panel.guided_button.click()
    frames(qtbot, live, 4.0)
    taken = store.counts()["neutral"]
    assert taken >= 1 and guided.active()
    with qtbot.waitSignal(panel.message, timeout=10000) as said:
        live.stop()
    text = "The source stopped: guided calibration cancelled; its photos are kept."
    assert said.args[0] == text and guided.big_label.text() == text and not guided.active()
    assert store.counts()["neutral"] == taken and guided.back_button.isVisible()
    guided.back_button.click()
    assert not panel.guided_button.isEnabled()  # no source: no guided calibration
    panel.start_guided()
    assert not guided.active()
    live.start()
    assert panel.guided_button.isEnabled()


def test_a_stalled_camera_cancels_a_run_keeps_its_photos_and_says_why(
    qtbot, own_engine, one_face_frame, monkeypatch
):
    camera = ScriptedCamera(one_face_frame)
    monkeypatch.setattr(live_worker, "open_source", lambda spec, resolution=None: camera)
    monkeypatch.setattr(live_worker.LiveWorker, "stall_s", 0.5)
    win = MainWindow(own_engine, source="scripted")
    qtbot.addWidget(win)
    live = win.live_tab
    panel = live.calibration
    guided = panel.guided_view
    guided.clock = FakeClock(1000.0)
    try:
        live.start()
        qtbot.waitUntil(lambda: live.session.selected_face() is not None, timeout=60000)
        panel.guided_button.click()
        assert guided.active()
        with qtbot.waitSignal(panel.message, timeout=20000) as said:
            camera.block_after = camera.reads  # the camera's next read blocks: no frame comes
        text = "The camera stopped sending frames: guided calibration cancelled; its photos are kept."
        assert said.args[0] == text and guided.big_label.text() == text and not guided.active()
        assert live.is_running() and panel.guided_button.isEnabled()  # the camera may come back
    finally:
        camera.release.set()
        win.close()
