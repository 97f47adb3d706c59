"""Labels a person checked: confirmations saved and restored, exports of checked faces only with
who gave each label, and training and the model list saying when a model was scored on its own
answers or on too few images (no Qt)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.labelling.corrections import CorrectionStore, store_file
from fer_desktop.labelling.rows import STATUS_NO_FACE, STATUS_OK, LabelRow, LabelSummary
from fer_desktop.labelling.session import LabelSession
from fer_desktop.models.catalogue import FEW_IMAGES, StoredModel, split_figure
from fer_desktop.paths import user_models_dir
from fer_desktop.pipeline.faces import Box
from training.contract.label_origin import ORIGIN_FILE, count_origins, dataset_warning, read_origins
from training.contract.labels import CLASS_NAMES

MODEL = Path("model-a.keras")


def _face(path: str, face: int = 0, emotion: str = "happy") -> LabelRow:
    probs = np.eye(len(CLASS_NAMES))[CLASS_NAMES.index(emotion)] * 0.9 + 0.1 / len(CLASS_NAMES)
    seed = sum(map(ord, path)) * 10 + face  # each face its own pixels (training drops duplicates)
    crop = np.random.default_rng(seed).integers(0, 256, (96, 96, 3), np.uint8)
    return LabelRow(path, STATUS_OK, face, Box(20 * face, 0, 20, 20), probs, "model", crop=crop,
                    face_source="detector")  # fmt: skip


def _rows() -> list[LabelRow]:
    return [
        _face("a.jpg", 0),
        _face("a.jpg", 1, "sad"),
        _face("b.jpg", 0, "fear"),
        LabelRow("c.jpg", STATUS_NO_FACE),
    ]


def test_a_confirmation_is_saved_at_once_comes_back_and_is_undone(tmp_path):
    store = CorrectionStore(tmp_path)
    rows = _rows()
    store.attach(rows)
    assert store.confirm([rows[0], rows[3]]) == [rows[0]]  # a photo without a face has nothing to confirm
    assert rows[0].confirmed and rows[0].checked and rows[0].caption() == "happy 91% ✓"
    store.set_label([rows[1]], "angry")
    assert store.confirm([rows[1]]) == []  # corrected: checked already
    assert json.loads(store_file(tmp_path).read_text())["confirmed"] == {"a.jpg|0,0,20,20": "happy"}

    again = _rows()  # the folder labelled anew
    reopened = CorrectionStore(tmp_path)
    assert reopened.load_note == "1 saved corrections and 1 confirmed faces for this folder"
    assert reopened.attach(again) == [again[0], again[1]]
    assert again[0].confirmed and again[0].label_source == "model"
    assert [r.checked for r in again] == [True, True, False, False]

    assert store.undo() == [rows[1]] and rows[1].emotion == "sad" and not rows[1].checked
    assert store.undo() == [rows[0]] and not rows[0].confirmed
    assert CorrectionStore(tmp_path).confirmed == {}


def test_a_face_confirmed_with_one_model_keeps_that_label_under_another(tmp_path):
    store = CorrectionStore(tmp_path)
    rows = _rows()
    store.attach(rows)
    store.confirm([rows[0]])
    other_model = [_face("a.jpg", 0, "surprise")]  # same face, another model's answer
    CorrectionStore(tmp_path).attach(other_model)
    assert other_model[0].emotion == "happy" and other_model[0].checked


def test_a_corrections_file_from_before_confirmations_loads_and_keeps_its_keys(tmp_path):
    path = store_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 1, "labels": {"a.jpg|0,0,20,20": "sad"}, "exported": {}}))
    store = CorrectionStore(tmp_path)
    rows = _rows()
    store.attach(rows)
    assert rows[0].emotion == "sad" and store.confirmed == {}
    store.confirm([rows[2]])
    saved = json.loads(path.read_text())
    assert saved["labels"] == {"a.jpg|0,0,20,20": "sad"} and saved["confirmed"] == {"b.jpg|0,0,20,20": "fear"}


def test_confirmations_count_as_unexported_until_an_export_holds_them(tmp_path):
    store = CorrectionStore(tmp_path)
    rows = _rows()
    store.attach(rows)
    store.confirm([rows[2]])
    assert store.unexported() == 1 and "1 corrected or confirmed face(s)" in store.unexported_warning()
    store.mark_exported(rows)
    assert store.unexported() == 0 and CorrectionStore(tmp_path).unexported_warning() is None


def _session(folder: Path) -> LabelSession:
    session = LabelSession()
    session.start(folder, MODEL)
    summary = LabelSummary(photos=3, model_file=MODEL.name, model_sha256="ab" * 32)
    session.finish(_rows(), summary)
    return session


def test_an_export_of_checked_faces_holds_only_them_with_who_labelled_each(tmp_path):
    session = _session(tmp_path / "photos")
    assert session.export("csv", tmp_path / "x.csv", MODEL, checked_only=True).startswith("Nothing exported")
    assert not (tmp_path / "x.csv").exists()
    session.confirm([session.rows[0]])
    session.set_label([session.rows[2]], "sad")

    session.export("csv", tmp_path / "checked.csv", MODEL, checked_only=True)
    with (tmp_path / "checked.csv").open(newline="", encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert [(r["path"], r["emotion"], r["label_source"], r["checked"]) for r in exported] == [
        ("a.jpg", "happy", "model", "yes"),
        ("b.jpg", "sad", "human", "yes"),
    ]
    session.export("json", tmp_path / "checked.json", MODEL, checked_only=True)
    data = json.loads((tmp_path / "checked.json").read_text(encoding="utf-8"))
    assert [r["label_origin"] for r in data["rows"]] == ["confirmed", "corrected"]
    assert (data["model_file"], data["model_sha256"]) == ("model-a.keras", "ab" * 32)

    crops = tmp_path / "crops"
    assert session.export("crops", crops, MODEL, checked_only=True) == f"2 crops exported to {crops}"
    assert sorted(p.parent.name for p in crops.rglob("*.png")) == ["happy", "sad"]
    assert sorted(read_origins(crops).values()) == ["confirmed", "corrected"]
    assert dataset_warning(crops) is None

    session.export("crops", crops, MODEL)  # every face: the unchecked one is the model's own
    origins = read_origins(crops)
    assert len(origins) == 3 and Counter(origins.values())["model"] == 1
    assert all((crops / rel).is_file() for rel in origins)
    assert session.corrections.unexported() == 0
    # Checked faces only, again into that folder: the model's own crop is the user's file (kept), and said.
    said = session.export("crops", crops, MODEL, checked_only=True)
    assert said == (f"2 crops exported to {crops}; an earlier export left 1 crop there with the model's "
                    "own labels (export to a new folder to train on checked faces only)")  # fmt: skip
    assert len(list(crops.rglob("*.png"))) == 3


def test_a_re_export_after_a_correction_moves_the_face_and_its_origin(tmp_path):
    session = _session(tmp_path / "photos")
    crops = tmp_path / "crops"
    session.export("crops", crops, MODEL)
    assert Counter(read_origins(crops).values()) == {"model": 3}
    assert "3 of the 3 exported labels are the labelling model's own" in dataset_warning(crops)
    session.set_label([session.rows[0]], "angry")
    session.export("crops", crops, MODEL)
    origins = read_origins(crops)
    assert len(origins) == 3 and not any(rel.startswith("happy/") for rel in origins)
    assert [o for rel, o in origins.items() if rel.startswith("angry/")] == ["corrected"]


def test_training_warns_when_most_validation_labels_are_the_models_own(tmp_path):
    from training.config import TrainConfig
    from training.data_prep import prepare_data
    from training.run_card import data_record

    session = _session(tmp_path / "photos")
    session.rows = [_face(f"p{i}.jpg", 0, CLASS_NAMES[i % 7]) for i in range(28)]
    session.confirm(session.rows[:4])
    crops = tmp_path / "crops"
    session.export("crops", crops, MODEL)
    warnings: list[str] = []
    data = prepare_data(
        TrainConfig(data=str(crops), out=str(tmp_path / "m"), val_fraction=0.5), warnings.append
    )
    origins = data.val_origins
    assert sum(origins.values()) == len(data.val) == 14 and origins["model"] >= 10
    assert any("labelling model's own answers" in w for w in warnings)
    assert data_record(data)["val_label_origin"] == dict(origins)

    checked = tmp_path / "checked"
    session.confirm(session.rows)
    session.export("crops", checked, MODEL, checked_only=True)
    quiet: list[str] = []
    prepare_data(TrainConfig(data=str(checked), out=str(tmp_path / "n"), val_fraction=0.5), quiet.append)
    assert not any("own answers" in w for w in quiet)


def test_data_no_export_wrote_counts_nothing(tmp_path):
    (tmp_path / "happy").mkdir()
    cv2.imwrite(str(tmp_path / "happy" / "x.png"), np.zeros((8, 8, 3), np.uint8))
    assert count_origins([str(tmp_path / "happy" / "x.png")], [tmp_path]) == Counter()
    assert dataset_warning(tmp_path) is None and not (tmp_path / ORIGIN_FILE).exists()


def _card(acc: float, n: int, origins: dict | None = None) -> dict:
    card = {"created": "2026-12-01", "evaluation": {"val": {"accuracy": acc, "n": n}}}
    if origins is not None:
        card["data"] = {"val_label_origin": origins}
    return card


def test_the_model_list_says_when_a_validation_was_too_small_or_the_models_own():
    assert split_figure("validation", {"accuracy": 1.0, "n": 15}) == (
        f"validation 100.0% on 15 images — too few to trust (under {FEW_IMAGES})"
    )
    assert split_figure("test", {"accuracy": 0.683, "n": 3589}) == "test 68.3% on 3,589 images"
    path = user_models_dir() / "m" / "model.keras"
    own = StoredModel("m", path, _card(1.0, 15, {"model": 12, "confirmed": 3})).summary()
    assert "too few to trust" in own and "12 of 15 validation labels were the labelling model's own" in own
    checked = StoredModel("m", path, _card(0.7, 400, {"model": 100, "corrected": 300})).summary()
    assert "too few" not in checked and "model's own" not in checked
    assert "model's own" not in StoredModel("m", path, _card(0.7, 400, {"model": "x"})).summary()
