"""Label tab review under pytest-qt: photos without a face, re-labelling after a model switch, dialogs."""

from __future__ import annotations

import csv
import shutil

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QToolButton

from fer_desktop.labelling.rows import FACE_WHOLE_IMAGE, STATUS_NO_FACE
from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.main_window import MainWindow
from fer_desktop.ui.models.face_grid_model import ROW_ROLE
from training.contract.labels import CLASS_NAMES
from training.contract.photos import read_photo

NO_FACE_FILTER = len(CLASS_NAMES) + 1


@pytest.fixture
def folder(tmp_path, astronaut_bgr):
    from skimage import data

    root = tmp_path / "photos"
    root.mkdir()
    cv2.imwrite(str(root / "astronaut.jpg"), astronaut_bgr)
    cv2.imwrite(str(root / "coffee.jpg"), np.ascontiguousarray(data.coffee()[:, :, ::-1]))
    return root


def _label(qtbot, tab, folder) -> None:
    with qtbot.waitSignal(tab.finished, timeout=60000):
        tab.start_labelling(folder)


def test_a_photo_without_a_face_is_listed_and_can_be_taken_whole(
    qtbot, label_window, folder, engine, tmp_path
):
    tab = label_window.label_tab
    _label(qtbot, tab, folder)
    assert tab.emotion_filter.itemText(NO_FACE_FILTER) == "no face (1)"
    assert tab.filtered.rowCount() == 1  # all faces: the astronaut
    tab.emotion_filter.setCurrentIndex(NO_FACE_FILTER)
    assert tab.filtered.rowCount() == 1
    tab.select_face(0)
    assert tab.selected_rows()[0].path == "coffee.jpg" and tab.photo.has_frame()
    assert "no face found" in tab.probs.title()
    assert tab.whole_button.isEnabled()

    with qtbot.waitSignal(tab.message, timeout=30000) as said:
        tab.whole_button.click()
    assert said.args == ["1 photo taken whole as the face"]
    qtbot.waitUntil(lambda: next(r for r in tab.rows if r.path == "coffee.jpg").status == "ok", timeout=30000)
    face = next(r for r in tab.rows if r.path == "coffee.jpg")
    image = read_photo(folder / "coffee.jpg")
    assert face.status == "ok" and face.face_source == FACE_WHOLE_IMAGE
    assert (face.box.x, face.box.y, face.box.w, face.box.h) == (0, 0, image.shape[1], image.shape[0])
    with engine.lease_classifier() as classifier:  # the same preprocessing as any face crop
        np.testing.assert_allclose(face.probs, classifier.predict([image])[0], atol=1e-5)
    assert tab.emotion_filter.itemText(NO_FACE_FILTER) == "no face (0)"
    assert tab.emotion_filter.itemText(0) == "all faces (2)"
    assert "2 faces, 0 without a face" in tab.status.text()

    # A correction of that face, and the choice itself, survive labelling the folder again.
    tab.emotion_filter.setCurrentIndex(0)
    tab.select_face(next(i for i in range(tab.filtered.rowCount())
                         if tab.filtered.index(i, 0).data(ROW_ROLE).path == "coffee.jpg"))  # fmt: skip
    tab.set_label_for_selected("surprise")
    _label(qtbot, tab, folder)
    again = next(r for r in tab.rows if r.path == "coffee.jpg")
    assert again.face_source == FACE_WHOLE_IMAGE and again.emotion == "surprise"
    tab.export("csv", tmp_path / "labels.csv")
    with (tmp_path / "labels.csv").open(newline="", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["path"] == "coffee.jpg")
    assert row["face_source"] == "whole image" and row["label_source"] == "human" and row["status"] == "ok"

    # A change of mind: back to "no face"; the correction stays saved for another change of mind.
    tab.emotion_filter.setCurrentIndex(0)
    tab.select_face(next(i for i in range(tab.filtered.rowCount())
                         if tab.filtered.index(i, 0).data(ROW_ROLE).path == "coffee.jpg"))  # fmt: skip
    assert tab.not_whole_button.isEnabled() and not tab.whole_button.isEnabled()
    tab.not_whole_button.click()
    assert next(r for r in tab.rows if r.path == "coffee.jpg").status == STATUS_NO_FACE
    assert tab.emotion_filter.itemText(NO_FACE_FILTER) == "no face (1)"
    _label(qtbot, tab, folder)
    assert next(r for r in tab.rows if r.path == "coffee.jpg").status == STATUS_NO_FACE
    tab.emotion_filter.setCurrentIndex(NO_FACE_FILTER)
    tab.select_face(0)
    with qtbot.waitSignal(tab.message, timeout=30000) as said:
        tab.whole_button.click()
    assert said.args == ["1 photo taken whole as the face"]
    qtbot.waitUntil(lambda: next(r for r in tab.rows if r.path == "coffee.jpg").status == "ok", timeout=30000)
    assert next(r for r in tab.rows if r.path == "coffee.jpg").emotion == "surprise"


def test_a_photo_that_can_no_longer_be_read_clears_the_view_to_its_reason(qtbot, label_window, folder):
    tab = label_window.label_tab
    _label(qtbot, tab, folder)
    tab.emotion_filter.setCurrentIndex(NO_FACE_FILTER)
    tab.select_face(0)  # coffee.jpg, shown
    assert tab.photo.has_frame()
    (folder / "astronaut.jpg").write_bytes(b"not a photo any more")
    tab.emotion_filter.setCurrentIndex(0)
    tab.select_face(next(i for i in range(tab.filtered.rowCount())
                         if tab.filtered.index(i, 0).data(ROW_ROLE).path == "astronaut.jpg"))  # fmt: skip
    assert not tab.photo.has_frame()  # coffee.jpg is not left under the message
    assert tab.photo.message().startswith("astronaut.jpg: ")


def test_return_in_the_confidence_box_sets_the_filter_and_confirms_nothing(qtbot, label_window, folder):
    tab = label_window.label_tab
    _label(qtbot, tab, folder)
    tab.select_face(0)
    tab.confidence_filter.setFocus()
    qtbot.waitUntil(tab.confidence_filter.hasFocus)
    tab.confidence_filter.lineEdit().selectAll()
    qtbot.keyClicks(tab.confidence_filter, "0.1")  # below 1/7: every face stays listed and selected
    qtbot.keyClick(tab.confidence_filter, Qt.Key.Key_Return)
    assert tab.confidence_filter.value() == pytest.approx(0.1) and tab.selected_rows()
    assert not any(r.checked for r in tab.rows) and not tab.session.corrections.confirmed
    qtbot.keyClick(tab.grid, Qt.Key.Key_Return)  # on the grid, Return still confirms
    assert tab.selected_rows()[0].checked and tab.session.corrections.confirmed
    label_window.close_without_asking()  # the confirmation is saved; closing would ask about exporting it


def test_relabel_with_the_current_model_keeps_the_corrections(qtbot, model_path, folder, tmp_path):
    from fer_desktop.paths import user_models_dir

    engine = AnalyzerEngine(model_path)
    win = MainWindow(engine, source="15")
    qtbot.addWidget(win)
    tab = win.label_tab
    _label(qtbot, tab, folder)
    assert not tab.relabel_button.isEnabled()
    tab.select_face(0)
    row = tab.selected_rows()[0]
    new_label = next(c for c in CLASS_NAMES if c != row.model_emotion)
    tab.set_label_for_selected(new_label)

    other = user_models_dir() / "other" / "model.keras"
    other.parent.mkdir(parents=True)
    shutil.copyfile(model_path, other)
    with qtbot.waitSignal(win.model_controller.model_changed, timeout=60000):
        win.model_controller.use_model(other)
    assert tab.relabel_button.isEnabled() and tab.labelled_with == model_path
    with qtbot.waitSignal(tab.finished, timeout=60000):
        tab.relabel_button.click()
    assert tab.labelled_with == other and not tab.relabel_button.isEnabled()
    again = next(r for r in tab.rows if (r.path, r.box) == (row.path, row.box))
    assert again is not row and again.emotion == new_label and again.label_source == "human"
    win.close_without_asking()  # the correction is saved; closing would ask about exporting it
    engine.close()


def test_export_dialogs_can_make_a_new_folder_and_dialogs_start_where_the_last_ended(
    qtbot, label_window, folder, tmp_path, monkeypatch
):
    tab = label_window.label_tab
    _label(qtbot, tab, folder)
    for kind in ("csv", "json", "crops"):
        dialog = tab.export_dialog(kind)
        assert dialog.testOption(QFileDialog.Option.DontUseNativeDialog)
        assert not dialog.testOption(QFileDialog.Option.ReadOnly)
        new_folder = dialog.findChild(QToolButton, "newFolderButton")
        assert new_folder is not None and new_folder.isEnabled()
        dialog.deleteLater()

    # Export into a folder made in the dialog; the next export dialog starts there.
    made = tmp_path / "made in the dialog"

    def accept(dialog):
        made.mkdir(exist_ok=True)
        dialog.selectFile(str(made / "labels.csv"))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QFileDialog, "exec", accept)
    tab.export_csv_button.click()
    assert (made / "labels.csv").is_file()
    assert tab.export_dialog("json").directory().absolutePath() == str(made)

    # Choosing the folder to label starts in the last one chosen.
    seen, answers = [], [str(folder), ""]
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", lambda _p, _t, start, *a: seen.append(start) or answers.pop(0)
    )
    with qtbot.waitSignal(tab.finished, timeout=60000):
        tab.folder_button.click()
    tab.folder_button.click()
    assert seen[1] == str(folder.resolve())
