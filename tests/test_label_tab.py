"""The Label tab under pytest-qt: label a folder, correct a label, export."""

from __future__ import annotations

import csv
import json

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from fer_desktop.ui.main_window import MainWindow
from training.contract.label_origin import read_origins
from training.contract.labels import CLASS_NAMES


@pytest.fixture
def folder(tmp_path, astronaut_bgr, three_face_frame):
    from skimage import data

    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    cv2.imwrite(str(root / "astronaut.jpg"), astronaut_bgr)
    cv2.imwrite(str(root / "sub" / "three.png"), three_face_frame)
    cv2.imwrite(str(root / "coffee.jpg"), np.ascontiguousarray(data.coffee()[:, :, ::-1]))
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff broken")
    return root


def test_label_correct_and_export(qtbot, label_window, folder, tmp_path):
    win = label_window
    tab = win.label_tab
    with qtbot.waitSignal(tab.finished, timeout=60000) as blocker:
        tab.start_labelling(folder)
    summary = blocker.args[0]
    assert (summary.photos, summary.faces, summary.no_face, summary.unreadable) == (4, 4, 1, 1)
    # 4 faces, a photo without one and a file that could not be read; "all faces" shows the faces.
    assert tab.faces.rowCount() == 6 and tab.filtered.rowCount() == 4
    assert tab.model_label.text().startswith(f"Labelled with {win.engine.model_path.stem} (sha ")
    assert (
        tab.emotion_filter.itemText(0) == "all faces (4)" and tab.emotion_filter.itemText(8) == "no face (1)"
    )
    assert tab.progress.value() == tab.progress.maximum() == 4

    # Click the first face: the detail view shows its photo and its probabilities.
    first = tab.filtered.index(0, 0)
    qtbot.mouseClick(tab.grid.viewport(), Qt.MouseButton.LeftButton, pos=tab.grid.visualRect(first).center())
    row = tab.selected_rows()[0]
    assert tab.photo.has_frame()
    assert sum(tab.probs.values().values()) == pytest.approx(1.0, abs=0.01)

    # Correct it with a key press to a label the model did not give.
    new_label = next(c for c in CLASS_NAMES if c != row.model_emotion)
    tab.grid.setFocus()
    qtbot.keyClick(tab.grid, str(CLASS_NAMES.index(new_label) + 1))
    assert row.emotion == new_label and row.label_source == "human"
    caption = tab.faces.data(tab.faces.index(tab.faces.row_of(row)))
    # The human label, and the model's own answer with its confidence: never paired with the human label.
    assert caption == f"{new_label} ✎ (model: {row.model_emotion} {row.model_confidence:.0%})"
    assert new_label in tab.probs.title() and "model:" in tab.probs.title()
    # The filter's counts and the summary follow the correction.
    counts = {name: sum(r.emotion == name for r in tab.rows if r.status == "ok") for name in CLASS_NAMES}
    assert counts[new_label] >= 1
    for i, name in enumerate(CLASS_NAMES, start=1):
        assert tab.emotion_filter.itemText(i) == f"{name} ({counts[name]})"
    assert f"{new_label} {counts[new_label]}" in tab.status.text()

    # Filters.
    tab.emotion_filter.setCurrentIndex(CLASS_NAMES.index(new_label) + 1)
    assert tab.filtered.rowCount() >= 1
    tab.emotion_filter.setCurrentIndex(0)
    tab.confidence_filter.setValue(1.0)
    assert tab.filtered.rowCount() == 0
    tab.confidence_filter.setValue(0.0)

    # Enter confirms another face: a person checked its label (undone with Ctrl+Z like a correction).
    tab.select_face(1)
    other = tab.selected_rows()[0]
    assert other is not row and not other.checked
    qtbot.keyClick(tab.grid, Qt.Key.Key_Return)
    assert other.confirmed and other.label_source == "model" and other.caption().endswith("✓")
    assert tab.session.corrections.confirmed

    # The unreadable filter lists the file that could not be read, with its reason.
    tab.emotion_filter.setCurrentIndex(len(CLASS_NAMES) + 2)
    assert tab.emotion_filter.currentText() == "unreadable (1)" and tab.filtered.rowCount() == 1
    assert tab.filtered.index(0, 0).data().startswith("unreadable: ")
    tab.emotion_filter.setCurrentIndex(0)

    out_csv, out_json, crops = tmp_path / "labels.csv", tmp_path / "labels.json", tmp_path / "crops"
    tab.export("csv", out_csv)
    tab.export("json", out_json)
    tab.export("crops", crops)
    with out_csv.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    corrected = [r for r in rows if r["label_source"] == "human"]
    assert len(corrected) == 1
    assert corrected[0]["emotion"] == new_label and corrected[0]["model_emotion"] == row.model_emotion
    # confidence: the model's probability of the (human) label; model_confidence: of its own answer.
    assert corrected[0]["confidence"] == corrected[0][new_label]
    assert (
        corrected[0]["model_confidence"] == corrected[0][row.model_emotion] == f"{row.model_confidence:.4f}"
    )
    assert all(r["face_source"] == "detector" for r in rows if r["status"] == "ok")
    assert all(r["confidence"] == r["model_confidence"] for r in rows if r["label_source"] == "model")
    assert corrected[0]["path"] == row.path and corrected[0]["face"] == str(row.face)
    assert {r["status"] for r in rows} >= {"ok", "no face"}
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert sum(1 for r in data["rows"] if r.get("label_source") == "human") == 1
    assert len(list((crops / new_label).glob("*.png"))) >= 1
    assert len(list(crops.rglob("*.png"))) == 4
    assert data["model_sha256"] and data["model_file"] == win.engine.model_path.name

    # "Checked faces only": the corrected and the confirmed face, each with who labelled it.
    tab.checked_only.setChecked(True)
    tab.export("crops", tmp_path / "checked")
    assert sorted(read_origins(tmp_path / "checked").values()) == ["confirmed", "corrected"]
    assert len(list((tmp_path / "checked").rglob("*.png"))) == 2
    win.close()


def test_cancel_stops_labelling(qtbot, engine, folder, tmp_path):
    for i in range(30):
        cv2.imwrite(str(folder / f"copy{i}.jpg"), np.full((120, 160, 3), i, np.uint8))
    win = MainWindow(engine, source="15")
    qtbot.addWidget(win)
    tab = win.label_tab
    with qtbot.waitSignal(tab.finished, timeout=60000) as blocker:
        tab.start_labelling(folder)
        qtbot.waitUntil(lambda: tab.progress.value() >= 1, timeout=30000)
        tab.cancel()
    assert blocker.args[0].cancelled
    assert blocker.args[0].photos < 34
    win.close()


def test_counts_are_redrawn_at_a_bounded_rate_while_photos_arrive(qtbot, label_window, monkeypatch):
    from fer_desktop.labelling.rows import LabelRow, LabelSummary
    from fer_desktop.ui.label import label_tab as module

    tab = label_window.label_tab
    recounts = []
    counted = module.filter_texts
    monkeypatch.setattr(module, "filter_texts", lambda faces: recounts.append(len(faces)) or counted(faces))
    rows = [LabelRow(f"photo{i}.jpg", "no face") for i in range(300)]
    for row in rows:  # as a large folder's photos arrive, one by one
        tab._on_rows([row])
    assert len(recounts) <= 2  # each recount counts every face so far: not once per photo
    summary = LabelSummary()
    tab._on_done(rows, summary)
    assert recounts[-1] == 300 and tab.emotion_filter.itemText(8) == "no face (300)"


class _NoModel:
    """An engine whose classifier cannot be leased: the jobs' failure paths."""

    def lease_classifier(self):
        raise ValueError("no classifier")


class _Detector:
    closed = False

    def close(self) -> None:
        _Detector.closed = True


def _messages(worker) -> list[str]:
    said: list[str] = []
    worker.errored.connect(said.append)
    worker.returned.connect(lambda value: said.append(f"returned {value!r}"))
    worker.run()  # the job itself, on this thread
    return said


def test_label_jobs_say_what_failed_in_their_own_words(monkeypatch, tmp_path):
    from fer_desktop.pipeline import faces
    from fer_desktop.ui.workers.label_worker import LabelWorker, WholeImageWorker

    def no_detector():
        raise RuntimeError("MediaPipe is missing")

    monkeypatch.setattr(faces, "FaceDetector", no_detector)
    assert _messages(LabelWorker(_NoModel(), tmp_path)) == ["Cannot start labelling: MediaPipe is missing"]
    monkeypatch.setattr(faces, "FaceDetector", _Detector)
    assert _messages(LabelWorker(_NoModel(), tmp_path)) == [f"Labelling {tmp_path} failed: no classifier"]
    assert _Detector.closed  # the run's own detector is closed whatever happens
    whole = WholeImageWorker(_NoModel(), tmp_path, ["a.jpg"])
    assert _messages(whole) == ["Classifying the whole image failed: no classifier"]
