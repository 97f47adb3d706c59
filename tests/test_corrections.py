"""Label corrections: saved at once, restored per folder, undone step by step (no Qt)."""

from __future__ import annotations

import csv
import errno
import json

import numpy as np
import pytest

from fer_desktop.labelling.corrections import CorrectionStore, store_file
from fer_desktop.labelling.rows import STATUS_NO_FACE, STATUS_OK, LabelRow
from fer_desktop.pipeline.faces import Box
from training.contract import atomic
from training.contract.labels import CLASS_NAMES


def _rows() -> list[LabelRow]:
    probs = np.eye(len(CLASS_NAMES))[CLASS_NAMES.index("happy")]
    return [
        LabelRow("a.jpg", STATUS_OK, 0, Box(10, 10, 50, 50), probs.copy(), "model"),
        LabelRow("a.jpg", STATUS_OK, 1, Box(90, 10, 50, 50), probs.copy(), "model"),
        LabelRow("sub/b.png", STATUS_OK, 0, Box(5, 5, 40, 40), probs.copy(), "model"),
        LabelRow("c.jpg", STATUS_NO_FACE),
    ]


def _failing(code: int, text: str):
    def write(*_args, **_kwargs):
        raise OSError(code, text)

    return write


def test_corrections_are_saved_at_once_and_come_back_for_the_same_folder(tmp_path):
    folder = tmp_path / "photos"
    store = CorrectionStore(folder)
    rows = _rows()
    store.attach(rows)
    assert store.set_label([rows[0], rows[2]], "sad") == [rows[0], rows[2]]
    assert store_file(folder).is_file()

    again = _rows()  # the same folder labelled anew: fresh row objects, same photos and boxes
    restored = CorrectionStore(folder).attach(again)
    assert restored == [again[0], again[2]]
    assert [r.emotion for r in again[:3]] == ["sad", "happy", "sad"]
    assert again[0].label_source == "human" and again[1].label_source == "model"
    assert CorrectionStore(tmp_path / "elsewhere").attach(_rows()) == []


def test_undo_takes_back_one_step_at_a_time_and_saves(tmp_path):
    store = CorrectionStore(tmp_path)
    rows = _rows()
    store.attach(rows)
    store.set_label([rows[0], rows[1]], "angry")
    store.set_label([rows[0]], "fear")
    assert store.undo() == [rows[0]]
    assert rows[0].emotion == "angry" and rows[0].label_source == "human"
    assert store.undo() == [rows[1], rows[0]]
    assert [r.label_source for r in rows[:2]] == ["model", "model"] and rows[0].emotion == "happy"
    assert store.undo() == []
    assert CorrectionStore(tmp_path).labels == {}


def test_unexported_counts_what_an_export_would_lose(tmp_path):
    store = CorrectionStore(tmp_path)
    rows = _rows()
    store.attach(rows)
    assert store.unexported() == 0
    store.set_label([rows[0]], "sad")
    assert store.unexported() == 1
    store.set_label([rows[2]], "fear")
    store.mark_exported(rows[:2])  # an export of a cancelled run holds only some faces
    assert store.unexported() == 1
    store.mark_exported(rows)
    assert store.unexported() == 0 and CorrectionStore(tmp_path).unexported() == 0
    store.undo()
    assert store.unexported() == 1


def test_a_failed_save_is_reported_and_the_label_kept(tmp_path, monkeypatch):
    store = CorrectionStore(tmp_path)
    rows = _rows()
    store.attach(rows)

    monkeypatch.setattr(atomic, "write_json", _failing(errno.ENOSPC, "No space left on device"))
    store.set_label([rows[0]], "sad")
    assert rows[0].emotion == "sad" and store.unexported() == 1
    assert "No space left" in store.last_error


def test_a_damaged_file_is_set_aside_not_overwritten(tmp_path):
    path = store_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{ not json")
    store = CorrectionStore(tmp_path)
    assert "kept as" in store.load_note
    assert path.with_suffix(".damaged.json").read_text() == "{ not json"
    store.attach(_rows())
    store.set_label(list(store.rows.values())[:1], "sad")
    assert json.loads(path.read_text())["labels"]


def test_unknown_emotion_is_refused(tmp_path):
    with pytest.raises(ValueError):
        CorrectionStore(tmp_path).set_label(_rows(), "contempt")


def test_the_warning_says_how_many_and_whether_they_are_kept(tmp_path, monkeypatch):
    store = CorrectionStore(tmp_path)
    rows = _rows()
    store.attach(rows)
    assert store.unexported_warning() is None
    store.set_label(rows[:2], "sad")
    assert "2 corrected face(s)" in store.unexported_warning() and "come back" in store.unexported_warning()
    monkeypatch.setattr(atomic, "write_json", _failing(errno.EACCES, "Permission denied"))
    store.set_label(rows[2:3], "sad")
    assert "could NOT be saved" in store.unexported_warning()


def test_a_corrected_face_exports_the_models_figure_for_each_label(tmp_path):
    from fer_desktop.labelling.export import write_csv
    from fer_desktop.labelling.rows import LABEL_COLUMNS

    probs = np.array([0.05, 0.0, 0.04, 0.81, 0.06, 0.02, 0.02])
    row = LabelRow("a.jpg", STATUS_OK, 0, Box(1, 2, 3, 4), probs, "model", face_source="detector")
    assert row.caption() == "happy 81%" and row.confidence == row.model_confidence == 0.81
    row.set_human_label("sad")
    assert row.caption() == "sad ✎ (model: happy 81%)"
    assert row.confidence == pytest.approx(0.06) and row.model_confidence == pytest.approx(0.81)
    write_csv([row, LabelRow("b.jpg", STATUS_NO_FACE)], tmp_path / "out.csv")

    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        corrected, no_face = list(reader)
    assert reader.fieldnames == LABEL_COLUMNS
    assert LABEL_COLUMNS[-3:] == ["model_confidence", "face_source", "checked"]  # added at the end
    assert (corrected["emotion"], corrected["confidence"], corrected["label_source"]) == (
        "sad",
        "0.0600",
        "human",
    )
    assert (corrected["model_emotion"], corrected["model_confidence"]) == ("happy", "0.8100")
    assert no_face["status"] == "no face" and no_face["confidence"] == no_face["face_source"] == ""
    assert corrected["checked"] == "yes" and no_face["checked"] == ""


def test_photos_taken_whole_are_remembered_and_labelled_whole_again(tmp_path, engine):
    from skimage import data

    from fer_desktop.labelling.labeller import PhotoLabeller
    from fer_desktop.labelling.rows import FACE_WHOLE_IMAGE
    from fer_desktop.pipeline.faces import FaceDetector

    store = CorrectionStore(tmp_path / "photos")
    store.use_whole_image(["coffee.jpg"])
    again = CorrectionStore(tmp_path / "photos")
    assert again.whole_image == {"coffee.jpg"}

    coffee = np.ascontiguousarray(data.coffee()[:, :, ::-1])
    detector = FaceDetector()
    try:
        with engine.lease_classifier() as classifier:
            plain = PhotoLabeller(classifier, detector).label("coffee.jpg", coffee)
            whole = PhotoLabeller(classifier, detector, whole_image=frozenset(again.whole_image))
            [face] = whole.label("coffee.jpg", coffee)
            expected = classifier.predict([coffee])[0]
    finally:
        detector.close()
    assert [r.status for r in plain] == [STATUS_NO_FACE] and plain[0].crop.shape == (96, 96, 3)
    assert face.status == STATUS_OK and face.face_source == FACE_WHOLE_IMAGE
    assert (face.box.w, face.box.h) == (coffee.shape[1], coffee.shape[0])
    np.testing.assert_allclose(face.probs, expected, atol=1e-6)
