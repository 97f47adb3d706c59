"""The Label tab's session without Qt: a run's rows, corrections, photos taken whole, export."""

from __future__ import annotations

import csv
import errno
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from fer_desktop.labelling import session as session_module
from fer_desktop.labelling.rows import (
    FACE_DETECTED,
    FACE_WHOLE_IMAGE,
    STATUS_NO_FACE,
    STATUS_OK,
    LabelRow,
    LabelSummary,
)
from fer_desktop.labelling.session import LabelSession, detail_title, filter_texts, replace_rows
from fer_desktop.pipeline.faces import Box
from training.contract.labels import CLASS_NAMES

MODEL = Path("model-a.keras")


def _probs(emotion: str) -> np.ndarray:
    return np.eye(len(CLASS_NAMES))[CLASS_NAMES.index(emotion)] * 0.9 + 0.1 / len(CLASS_NAMES)


def _face(path: str, face: int = 0, emotion: str = "happy", source: str = FACE_DETECTED) -> LabelRow:
    crop = np.zeros((96, 96, 3), np.uint8)
    return LabelRow(path, STATUS_OK, face, Box(10 * face, 0, 20, 20), _probs(emotion), "model", crop=crop,
                    face_source=source)  # fmt: skip


def _run_rows() -> list[LabelRow]:
    return [
        _face("a.jpg", 0),
        _face("a.jpg", 1, "sad"),
        LabelRow("b.jpg", STATUS_NO_FACE, crop=np.zeros((96, 96, 3), np.uint8)),
        LabelRow("c.jpg", "unreadable: not an image"),
        LabelRow("d.jpg", STATUS_NO_FACE),
    ]


def _finished(folder: Path, rows: list[LabelRow] | None = None) -> LabelSession:
    session = LabelSession()
    session.start(folder, MODEL)
    rows = _run_rows() if rows is None else rows
    session.finish(rows, LabelSummary(photos=4))
    return session


def _whole(path: str) -> dict[str, list[LabelRow]]:
    return {path: [_face(path, 0, "surprise", FACE_WHOLE_IMAGE)]}


def test_the_session_needs_no_qt():
    code = (
        "import sys, fer_desktop.labelling.session; print(any(m.startswith('PySide6') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_run_starts_ends_and_offers_a_relabel_only_with_another_model(tmp_path):
    session = LabelSession()
    assert not session.can_relabel(MODEL)
    assert session.start(tmp_path, MODEL) == ""
    assert session.labelling and session.busy and session.rows == [] and session.summary is None
    assert not session.can_relabel(Path("model-b.keras"))  # not while the run goes on
    rows = _run_rows()
    session.finish(rows, LabelSummary(photos=4))
    assert session.rows is rows and not session.busy
    assert not session.can_relabel(MODEL) and session.can_relabel(Path("model-b.keras"))
    session.fail()
    assert not session.labelling


def test_the_same_folder_keeps_its_store_and_another_folder_gets_its_own(tmp_path):
    session = _finished(tmp_path / "photos")
    store = session.corrections
    session.start(tmp_path / "photos", MODEL)
    assert session.corrections is store  # corrections not saved yet would stay in it
    session.start(tmp_path / "other", MODEL)
    assert session.corrections is not store and session.corrections.folder == (tmp_path / "other").resolve()


def test_saved_corrections_come_back_on_rows_that_arrive_and_on_the_final_rows(tmp_path):
    first = _finished(tmp_path)
    assert first.set_label([first.rows[0]], "angry") == [first.rows[0]]

    session = LabelSession()
    note = session.start(tmp_path, MODEL)
    assert note == "1 saved corrections for this folder"
    arriving = _run_rows()
    session.arrived(arriving[:2])
    assert arriving[0].emotion == "angry" and arriving[0].label_source == "human"
    final = _run_rows()
    session.finish(final, LabelSummary(photos=4))
    assert final[0].emotion == "angry" and final[1].emotion == "sad"


def test_the_summary_is_recounted_from_the_rows_as_corrected(tmp_path):
    session = LabelSession()
    assert session.summary_text() is None
    session = _finished(tmp_path)
    text = session.summary_text()
    assert text.startswith("4 photos: 2 faces, 2 without a face, 1 unreadable")
    assert "happy 1, sad 1" in text and "\n" not in text
    session.set_label([session.rows[1]], "happy")
    assert "happy 2" in session.summary_text() and "sad" not in session.summary_text()
    session.summary.cancelled = True
    assert session.summary_text().startswith("Cancelled: ")


def test_undo_and_a_save_error_go_through_the_store(tmp_path, monkeypatch):
    session = _finished(tmp_path)
    session.set_label([session.rows[0]], "fear")
    assert session.undo() == [session.rows[0]] and session.rows[0].emotion == "happy"
    assert session.save_error is None
    monkeypatch.setattr("training.contract.atomic.write_json", _raising(errno.ENOSPC))
    session.set_label([session.rows[0]], "fear")
    assert "could not be saved" in session.save_error
    assert LabelSession().set_label([_face("x.jpg")], "sad") == [] and LabelSession().undo() == []


def test_taking_photos_whole_replaces_their_rows_in_place(tmp_path):
    session = _finished(tmp_path)
    before = list(session.rows)
    selected = [before[2], before[4], before[0]]  # two photos without a face and a face
    assert session.can_take_whole(selected) and not session.can_stop_whole(selected)
    assert session.begin_whole_image(selected) == ["b.jpg", "d.jpg"]
    assert session.whole_pending and session.busy and not session.can_take_whole(selected)
    assert session.corrections.whole_image == {"b.jpg", "d.jpg"}
    assert session.begin_whole_image(selected) == []  # one at a time

    results = {**_whole("b.jpg"), "d.jpg": [LabelRow("d.jpg", "unreadable: gone")], **_whole("gone.jpg")}
    replaced = session.take_whole(results)
    assert not session.whole_pending
    new = results["b.jpg"][0]
    assert replaced == [(before[2], new)]
    assert [id(r) for r in session.rows] == [
        id(before[0]),
        id(before[1]),
        id(new),
        id(before[3]),
        id(before[4]),
    ]
    assert session.whole_image() == frozenset({"b.jpg", "d.jpg"})


def test_a_whole_image_face_gets_its_saved_correction_back(tmp_path):
    session = _finished(tmp_path)
    session.begin_whole_image([session.rows[2]])
    session.take_whole(_whole("b.jpg"))
    face = session.rows[2]
    session.set_label([face], "disgust")
    session.stop_whole_image([face])
    session.begin_whole_image([session.rows[2]])
    session.take_whole(_whole("b.jpg"))
    assert session.rows[2] is not face and session.rows[2].emotion == "disgust"


def test_not_the_whole_image_puts_back_a_photo_without_a_face(tmp_path):
    session = _finished(tmp_path)
    session.begin_whole_image([session.rows[2]])
    session.take_whole(_whole("b.jpg"))
    face = session.rows[2]
    detected = session.rows[0]
    assert session.chosen_whole([face, detected]) == [face]  # a detector's face is never "taken whole"
    assert session.can_stop_whole([face]) and not session.can_stop_whole([detected])
    session.labelling = True
    assert not session.can_stop_whole([face]) and session.stop_whole_image([face]) == []
    session.labelling = False

    [(old, photo)] = session.stop_whole_image([face])
    assert old is face and session.rows[2] is photo
    assert photo.status == STATUS_NO_FACE and photo.path == "b.jpg" and photo.crop is face.crop
    assert session.corrections.whole_image == set()
    assert session.stop_whole_image([face]) == []  # no longer chosen


def test_replace_rows_goes_by_identity_in_one_pass():
    a, b, c = _face("a.jpg"), _face("a.jpg"), _face("a.jpg")  # equal contents, distinct rows
    x, y = _face("x.jpg"), _face("y.jpg")
    out = replace_rows([a, b, c], [(c, x), (a, y)])
    assert [id(r) for r in out] == [id(y), id(b), id(x)]


def test_filter_texts_count_faces_photos_without_one_and_unreadable_files_apart():
    rows = _run_rows()
    texts = filter_texts(rows)
    assert len(texts) == len(session_module.FILTERS) == len(CLASS_NAMES) + 3
    assert texts[0] == "all faces (2)" and texts[-2:] == ["no face (2)", "unreadable (1)"]
    assert texts[1 + CLASS_NAMES.index("happy")] == "happy (1)"
    assert texts[1 + CLASS_NAMES.index("angry")] == "angry (0)"
    assert filter_texts([])[0] == "all faces (0)"


def test_detail_titles():
    face = _face("a.jpg", 1)
    assert detail_title(face) == f"a.jpg, face 1: {face.caption()}"
    assert (
        detail_title(LabelRow("b.jpg", STATUS_NO_FACE))
        == "b.jpg: no face found (use the whole image as the face?)"
    )


def test_the_photo_is_shown_with_its_face_boxed(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((60, 80, 3), np.uint8))
    with pytest.raises(ValueError):
        LabelSession().photo_of(_face("a.png"))
    session = _finished(tmp_path)
    image = session.photo_of(_face("a.png", 1))
    assert image.shape == (60, 80, 3)
    assert tuple(image[0, 10]) == session_module.BOX_COLOUR and image[30, 40].sum() == 0
    assert session.photo_of(LabelRow("a.png", STATUS_NO_FACE)).sum() == 0


def _raising(code: int):
    def write(*_args, **_kwargs):
        raise OSError(code, "failed")

    return write


def test_exports_say_what_they_wrote_and_mark_the_corrections_exported(tmp_path):
    model = tmp_path / "model.keras"
    model.write_bytes(b"weights")
    session = _finished(tmp_path / "photos")
    session.set_label([session.rows[0]], "sad")
    assert "1 corrected face(s)" in session.unexported_warning()

    assert session.export("csv", tmp_path / "labels.csv", model) == f"Exported {tmp_path / 'labels.csv'}"
    assert session.unexported_warning() is None
    with (tmp_path / "labels.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["path"] for r in rows] == ["a.jpg", "a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert rows[0]["emotion"] == "sad" and rows[0]["label_source"] == "human"

    assert session.export("json", tmp_path / "labels.json", model) == f"Exported {tmp_path / 'labels.json'}"
    data = json.loads((tmp_path / "labels.json").read_text(encoding="utf-8"))
    assert data["summary"]["faces"] == 2 and data["summary"]["emotions"] == {"sad": 2}
    assert data["root"] == str(tmp_path / "photos") and len(data["rows"]) == 5

    said = session.export("crops", tmp_path / "crops", model)
    assert said == f"2 crops exported to {tmp_path / 'crops'}"
    assert len(list((tmp_path / "crops" / "sad").glob("*.png"))) == 2
    with pytest.raises(ValueError):
        session.export("xml", tmp_path / "labels.xml", model)


def test_a_failed_export_says_why_and_leaves_the_corrections_unexported(tmp_path, monkeypatch):
    session = _finished(tmp_path / "photos")
    session.set_label([session.rows[0]], "sad")
    monkeypatch.setattr(session_module, "write_csv", _raising(errno.ENOSPC))
    monkeypatch.setattr(session_module, "export_crops", _raising(errno.EROFS))
    said = session.export("csv", tmp_path / "labels.csv", MODEL)
    full = "the disk is full (an earlier file there is unchanged)"
    assert said == f"Export failed: cannot write {tmp_path / 'labels.csv'}: {full}"
    said = session.export("crops", tmp_path / "crops", MODEL)
    assert said.endswith("the folder is on a read-only disk (no earlier crop was removed)")
    assert session.unexported_warning() is not None


def _shown(rows: list[LabelRow], entry: str | None, min_confidence: float = 0.0) -> list[str]:
    return [r.path for r in rows if session_module.shows(r, entry, min_confidence)]


def test_the_unreadable_filter_lists_each_file_with_its_reason_and_no_other_entry_does(tmp_path):
    rows = [*_run_rows(), LabelRow("e.jpg", "unreadable: empty file")]
    assert _shown(rows, session_module.UNREADABLE) == ["c.jpg", "e.jpg"]
    assert _shown(rows, None) == ["a.jpg", "a.jpg"]  # all faces: faces only
    assert _shown(rows, STATUS_NO_FACE) == ["b.jpg", "d.jpg"]
    assert _shown(rows, "sad") == ["a.jpg"] and _shown(rows, "happy", 0.95) == []
    assert detail_title(rows[-1]) == "e.jpg: could not be read (empty file)"
    assert rows[3].caption() == "unreadable: not an image"  # the grid's caption says why


def test_a_folder_of_unreadable_files_says_so_and_a_mostly_readable_one_does_not(tmp_path):
    session = LabelSession()
    session.start(tmp_path, MODEL)
    bad = [
        LabelRow(f"{i}.jpg", "unreadable: not an image (or a format that cannot be read)") for i in range(11)
    ]
    session.finish([*bad, LabelRow("z.jpg", "unreadable: empty file")], LabelSummary(photos=12))
    note = session.unreadable_note()
    assert note.startswith("None of the 12 files could be read: 11 not an image, 1 empty file")
    session.finish([*bad[:2], _face("a.jpg"), LabelRow("b.jpg", STATUS_NO_FACE)], LabelSummary(photos=4))
    assert session.unreadable_note() is None  # half unreadable: each row says why, no alarm
    session.finish([*bad[:3], _face("a.jpg")], LabelSummary(photos=4))
    assert session.unreadable_note().startswith("3 of the 4 files could not be read")


def test_the_session_names_the_model_that_labelled_its_grid(tmp_path):
    session = LabelSession()
    session.start(tmp_path, Path("/models/fer_default.keras"))
    assert session.model_text() == "Labelling with fer_default"
    sha = "1a2b3c4d" + "0" * 56
    session.finish(_run_rows(), LabelSummary(photos=4, model_file="fer_default.keras", model_sha256=sha))
    assert session.model_text() == "Labelled with fer_default (sha 1a2b3c4d)"
