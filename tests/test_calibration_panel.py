"""Calibration in the Live tab under pytest-qt, on a video the test writes: capture, delete, tune, use."""

from __future__ import annotations

import os
from pathlib import Path

from fer_desktop.ui.live import calibration_panel
from fer_desktop.ui.main_window import MainWindow


def test_capture_delete_fine_tune_and_use(qtbot, own_engine, changing_face_video, monkeypatch):
    from training.config import PersonalizeSettings

    win = MainWindow(own_engine, source=str(changing_face_video))
    qtbot.addWidget(win)
    with qtbot.waitExposed(win):
        win.show()
    live = win.live_tab
    panel = live.calibration
    user_dir = Path(os.environ["FER_DESKTOP_DATA_DIR"])
    assert panel.store.root == user_dir / "calibration" and str(panel.store.root) in panel.notice.toolTip()
    assert not panel.tune_button.isEnabled()

    live.mirror_box.setFocus()
    qtbot.keyClick(live.mirror_box, "7")  # neutral
    assert panel.emotion() == "neutral"
    panel.enabled_box.setChecked(True)
    live.start()
    qtbot.waitUntil(lambda: panel.store.total() >= 4, timeout=60000)
    live.stop()
    photos = panel.store.photos("neutral")
    assert panel.thumbs.count() == len(photos) and "neutral" in panel.counts_label.text()

    panel.thumbs.item(0).setSelected(True)
    panel.delete_button.click()
    assert panel.store.photos("neutral") == photos[1:] and not photos[0].exists()
    assert panel.thumbs.count() == len(photos) - 1

    panel.settings = PersonalizeSettings(steps=3)
    with qtbot.waitSignal(panel.finished, timeout=180000) as blocker:
        panel.tune_button.click()
    card = blocker.args[0]
    new_model = Path(card["path"])
    assert user_dir / "models" in new_model.parents and new_model.is_file()
    assert card["photos"]["per_emotion"] == {"neutral": len(photos) - 1} and card["photos"]["detect"] is False
    assert panel.use_button.isEnabled() and panel.result_label.text()
    qtbot.waitUntil(lambda: not panel.runs.is_running(), timeout=30000)

    with qtbot.waitSignal(win.model_controller.model_changed, timeout=60000):
        panel.use_button.click()
    assert own_engine.model_path == new_model
    assert new_model.parent.name.startswith("my face, ") and card["name"] == new_model.parent.name
    assert live.model_label.text().startswith(f"Model: {card['name']}\n")  # the Live tab names it
    assert "check" not in card  # no guided check photos: the held-out figure, as before
    from fer_desktop.models.catalogue import active_model_path

    assert active_model_path() == new_model.resolve()
    models = win.train_tab.models_page.models
    assert any(new_model.parent.name in models.item(i).text() for i in range(models.count()))

    monkeypatch.setattr(calibration_panel, "ask_yes_no", lambda *_a: True)  # "Delete all …?" Yes
    panel.delete_all_button.click()
    assert panel.store.total() == 0 and not panel.store.root.exists() and panel.thumbs.count() == 0
    win.close()


def test_the_free_capture_fine_tune_use_and_a_full_check_result_fit_the_default_window(
    qtbot, own_engine, tmp_path, monkeypatch
):
    """A long home folder and a check result of seven emotions: nothing to scroll to."""
    from PySide6.QtWidgets import QApplication

    from fer_desktop.ui.main_window import DEFAULT_SIZE
    from training.contract.labels import CLASS_NAMES

    deep = tmp_path / "Users" / "alexandra.konstantinopoulou-vanderberg" / "Library" / "Application Support"
    monkeypatch.setenv("FER_DESKTOP_DATA_DIR", str(deep / "FER Desktop"))
    win = MainWindow(own_engine)
    qtbot.addWidget(win)
    with qtbot.waitExposed(win):
        win.show()
    assert (win.width(), win.height()) == DEFAULT_SIZE
    panel = win.live_tab.calibration
    assert str(panel.store.root) in panel.notice.toolTip()
    check = {"n": 35, "per_emotion": {c: {"n": 5, "before": 1, "after": 4} for c in CLASS_NAMES}}
    panel._on_done({"path": str(tmp_path / "m.keras"), "name": "my face, 6 Dec", "check": check})
    QApplication.processEvents()
    side = win.live_tab.side_scroll
    assert side.verticalScrollBar().maximum() == 0, "the side column needs scrolling"
    for widget in (panel.enabled_box, panel.guided_button, panel.delete_all_button, panel.tune_button,
                   panel.use_button, panel.result_label):  # fmt: skip
        top = widget.mapTo(win, widget.rect().topLeft())
        assert win.rect().contains(widget.rect().translated(top)), widget
    assert "disgust 1/5 → 4/5" in panel.result_label.text()
