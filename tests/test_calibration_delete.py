"""Deleting calibration photos in the Live tab's panel: it asks first, and only the chosen files go.

pytest-qt offscreen, on a store of photos the test writes; the real question dialog is answered
by a timer (Escape, or a click on Yes), as a user would.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from fer_desktop.personal.captures import CalibrationStore
from fer_desktop.ui.live import calibration_panel
from fer_desktop.ui.live.calibration_panel import CalibrationPanel


@pytest.fixture
def panel(qtbot, tmp_path) -> CalibrationPanel:
    store = CalibrationStore(tmp_path / "calibration")
    rng = np.random.default_rng(0)
    for emotion, n in (("happy", 3), ("neutral", 2)):
        (store.root / emotion).mkdir(parents=True)
        for i in range(n):
            cv2.imwrite(
                str(store.root / emotion / f"{i + 1:04d}.png"), rng.integers(0, 255, (64, 64, 3), np.uint8)
            )
    widget = CalibrationPanel(engine=None, store=store)  # no fine-tune here: no engine needed
    qtbot.addWidget(widget)
    with qtbot.waitExposed(widget):
        widget.show()
    return widget


def answer_the_question(answer: str) -> list[str]:
    """Answer the next question dialog: the Escape key, or a click on Yes; the list gets its text."""
    asked: list[str] = []

    def look() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, look)
            return
        asked.append(box.text())
        if answer == "escape":
            QTest.keyClick(box, Qt.Key.Key_Escape)
        else:
            box.button(QMessageBox.StandardButton.Yes).click()

    QTimer.singleShot(0, look)
    return asked


def _files(store: CalibrationStore) -> list[Path]:
    return sorted(store.root.rglob("*"))


def test_delete_all_asks_naming_how_many_and_escape_keeps_them(qtbot, panel):
    files = _files(panel.store)
    assert panel.delete_all_button.isEnabled() and not panel.delete_button.isEnabled()  # nothing selected
    asked = answer_the_question("escape")
    panel.delete_all_button.click()
    assert len(asked) == 1 and "all 5 of your calibration photos" in asked[0]
    assert _files(panel.store) == files and panel.thumbs.count() == 5  # Escape: nothing deleted

    asked = answer_the_question("yes")
    with qtbot.waitSignal(panel.message) as said:
        panel.delete_all_button.click()
    assert len(asked) == 1 and panel.store.total() == 0 and not panel.store.root.exists()
    assert said.args[0] == "5 calibration photos deleted." and panel.thumbs.count() == 0
    assert not panel.delete_all_button.isEnabled()  # nothing left to delete


def test_no_keeps_the_photos(panel, monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(calibration_panel, "ask_yes_no", lambda _p, _t, text: asked.append(text) or False)
    panel.delete_all_button.click()
    assert len(asked) == 1 and panel.store.total() == 5


def test_the_delete_key_removes_the_selected_thumbnails_files(qtbot, panel, monkeypatch):
    asked: list[str] = []
    answers = [False, True]
    monkeypatch.setattr(
        calibration_panel, "ask_yes_no", lambda _p, _t, text: asked.append(text) or answers.pop(0)
    )
    happy = panel.store.photos("happy")
    panel.thumbs.setFocus()
    panel.thumbs.item(0).setSelected(True)  # one photo, in plain view: it goes at once
    assert panel.delete_button.isEnabled()
    qtbot.keyClick(panel.thumbs, Qt.Key.Key_Delete)
    assert asked == [] and not happy[0].exists() and panel.store.photos("happy") == happy[1:]
    assert panel.thumbs.count() == 4

    chosen = [panel.thumbs.item(i) for i in (1, 3)]  # happy 0003 and neutral 0002
    paths = [Path(item.data(Qt.ItemDataRole.UserRole)) for item in chosen]
    for item in chosen:
        item.setSelected(True)
    qtbot.keyClick(panel.thumbs, Qt.Key.Key_Delete)  # more than one: asked first, No keeps them
    assert asked == ["Delete the 2 selected calibration photos? They cannot be recovered."]
    assert all(p.exists() for p in paths) and panel.thumbs.count() == 4
    qtbot.keyClick(panel.thumbs, Qt.Key.Key_Delete)  # Yes
    assert len(asked) == 2 and not any(p.exists() for p in paths)
    assert panel.store.counts()["happy"] == 1 and panel.store.counts()["neutral"] == 1
    assert panel.thumbs.count() == 2
    assert [p.name for p in panel.store.root.rglob(".*")] == []  # nothing left aside


def test_the_store_deletes_only_its_own_photos_and_all_or_none(tmp_path):
    store = CalibrationStore(tmp_path / "calibration")
    (store.root / "sad").mkdir(parents=True)
    mine = [store.root / "sad" / f"{i}.png" for i in range(3)]
    for path in mine:
        path.write_bytes(b"png")
    outside = tmp_path / "holiday.png"
    outside.write_bytes(b"png")
    link = store.root / "sad" / "9.png"
    link.symlink_to(outside)  # inside the folder, but a link to a photo elsewhere
    for stranger in (outside, link, store.root / "sad.png", store.root / "sad" / "notes.txt"):
        with pytest.raises(ValueError, match="not a calibration photo"):
            store.delete_photos([mine[0], stranger])
    assert all(p.exists() for p in mine) and outside.exists()  # refused: nothing deleted at all
    assert store.delete_photos([mine[0], mine[0], mine[1]]) == 2
    assert sorted(p.name for p in (store.root / "sad").iterdir()) == ["2.png", "9.png"]  # nothing aside
    assert store.delete_photos([mine[0]]) == 0  # already gone: nothing to do
    assert outside.exists()
