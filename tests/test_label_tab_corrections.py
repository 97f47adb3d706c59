"""Label tab corrections under pytest-qt: undo with Ctrl+Z, restored per folder, asked before leaving."""

from __future__ import annotations

import cv2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from training.contract.labels import CLASS_NAMES


@pytest.fixture
def folder(tmp_path, astronaut_bgr, three_face_frame):
    root = tmp_path / "photos"
    root.mkdir()
    cv2.imwrite(str(root / "astronaut.jpg"), astronaut_bgr)
    cv2.imwrite(str(root / "three.png"), three_face_frame)
    return root


def _label(qtbot, tab, folder) -> None:
    with qtbot.waitSignal(tab.finished, timeout=60000):
        tab.start_labelling(folder)


def _answer(monkeypatch, button) -> list[str]:
    asked = []

    def question(_parent, _title, text, *_args):
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def test_undo_restore_and_ask_before_leaving(qtbot, label_window, folder, tmp_path, monkeypatch):
    win = label_window
    tab = win.label_tab
    _label(qtbot, tab, folder)
    tab.select_face(0)
    row = tab.selected_rows()[0]
    new_label = next(c for c in CLASS_NAMES if c != row.model_emotion)
    tab.grid.setFocus()
    qtbot.keyClick(tab.grid, str(CLASS_NAMES.index(new_label) + 1))
    assert row.emotion == new_label

    qtbot.keyClick(tab.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert row.label_source == "model" and row.emotion == row.model_emotion
    assert "✎" not in tab.faces.data(tab.faces.index(tab.faces.row_of(row)))

    qtbot.keyClick(tab.grid, str(CLASS_NAMES.index(new_label) + 1))
    key = (row.path, row.box)

    # Choosing another folder asks first; "No" keeps the user here without opening the dialog.
    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    chooser = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: chooser.append(a) or "")
    tab.folder_button.click()
    assert len(asked) == 1 and "1 corrected face" in asked[0] and chooser == []
    win.close()  # closing asks too, and "No" keeps the window open
    assert len(asked) == 2 and win.isVisible()

    # Labelling the folder again (after another one) brings the correction back.
    other = tmp_path / "other"
    other.mkdir()
    cv2.imwrite(str(other / "x.png"), cv2.imread(str(folder / "astronaut.jpg")))
    _label(qtbot, tab, other)
    assert not any(r.label_source == "human" for r in tab.rows)
    _label(qtbot, tab, folder)
    again = next(r for r in tab.rows if (r.path, r.box) == key)
    assert again is not row and again.emotion == new_label and again.label_source == "human"
    assert "✎" in tab.faces.data(tab.faces.index(tab.faces.row_of(again)))

    # Once exported, nothing is asked.
    tab.export("csv", tmp_path / "labels.csv")
    asked.clear()
    win.close()
    assert asked == [] and not win.isVisible()
