"""`fer-desktop eval` on any class-folder tree, with --detect, and the bias figures of its report."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import canvas_with_faces
from tests.test_train_tab import make_class_folders
from training.contract.labels import CLASS_NAMES, NUM_CLASSES
from training.evaluate import format_report, metrics_from_confusion

OLD_KEYS = {"accuracy", "n", "macro_f1", "per_class", "confusion_matrix", "class_names", "split", "model"}
OLD_CLASS_KEYS = {"precision", "recall", "f1", "support"}


def test_shares_and_worst_ratio_name_the_overpredicted_class():
    # 10 angry (all right), 10 sad (all right), 10 neutral of which 6 read as sad.
    cm = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    angry, sad, neutral = (CLASS_NAMES.index(c) for c in ("angry", "sad", "neutral"))
    cm[angry, angry] = 10
    cm[sad, sad] = 10
    cm[neutral, neutral] = 4
    cm[neutral, sad] = 6
    report = metrics_from_confusion(cm)
    assert report["per_class"]["sad"]["predicted_share"] == round(16 / 30, 4)
    assert report["per_class"]["sad"]["true_share"] == round(10 / 30, 4)
    assert report["per_class"]["sad"]["share_ratio"] == 1.6
    assert report["per_class"]["neutral"]["share_ratio"] == 0.4
    assert report["per_class"]["happy"]["share_ratio"] is None  # no happy face: no ratio
    assert report["worst_share_ratio"] == 1.6 and report["most_overpredicted"] == "sad"
    assert report["no_face"] == 0
    assert report["macro_f1"] == round(np.mean([m["f1"] for m in report["per_class"].values()]), 4)
    text = format_report(report)
    assert "worst share ratio 1.60: sad is 53.3% of predictions, 33.3% of the truth" in text
    assert "macro F1" in text and "no face" not in text


def test_photos_without_a_face_count_as_wrong():
    cm = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    happy = CLASS_NAMES.index("happy")
    cm[happy, happy] = 6
    no_face = np.zeros(NUM_CLASSES, dtype=np.int64)
    no_face[happy] = 2
    report = metrics_from_confusion(cm, no_face)
    assert report["n"] == 8 and report["accuracy"] == 0.75
    happy_m = report["per_class"]["happy"]
    assert happy_m["recall"] == 0.75 and happy_m["precision"] == 1.0 and happy_m["support"] == 8
    # The missed photos are true happy faces that were predicted as nothing.
    assert happy_m["true_share"] == 1.0 and happy_m["predicted_share"] == 0.75
    assert report["no_face"] == 2 and report["no_face_share"] == 0.25
    assert np.array(report["confusion_matrix"]).sum() == 6  # 7x7 over the faces found
    assert "no face found in 2 of 8 photos (25.0%; counted as wrong)" in format_report(report)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from training.model import make_model

    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    make_model(width=4).save(path)
    return path


def test_eval_on_a_class_folder_tree_defaults_to_all(tmp_path, tiny_model, capsys):
    from fer_desktop.cli import main

    tree = make_class_folders(tmp_path / "faces", 2)
    out = tmp_path / "eval.json"
    assert main(["eval", "--data", str(tree), "--model", str(tiny_model), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["split"] == "all" and report["n"] == 2 * NUM_CLASSES
    assert set(report) >= OLD_KEYS | {"worst_share_ratio", "most_overpredicted", "no_face"}
    sha = hashlib.sha256(tiny_model.read_bytes()).hexdigest()
    assert (report["model_file"], report["model_sha256"]) == ("tiny.keras", sha)
    for m in report["per_class"].values():
        assert set(m) >= OLD_CLASS_KEYS | {"predicted_share", "true_share", "share_ratio"}
        assert m["true_share"] == round(1 / NUM_CLASSES, 4)
    shares = [m["predicted_share"] for m in report["per_class"].values()]
    assert sum(shares) == pytest.approx(1.0, abs=1e-3)
    ratios = {c: m["share_ratio"] for c, m in report["per_class"].items()}
    assert report["worst_share_ratio"] == max(ratios.values())
    assert ratios[report["most_overpredicted"]] == report["worst_share_ratio"]
    out_and_err = capsys.readouterr()
    assert "worst share ratio" in out_and_err.out
    assert f"model: tiny (sha {sha[:8]}), named with --model" in out_and_err.err
    # A named split a class-folder tree does not have is still a clear error.
    assert main(["eval", "--data", str(tree), "--split", "private", "--model", str(tiny_model)]) == 1
    assert "no 'private' split" in capsys.readouterr().err


def _two_faces(face: np.ndarray) -> np.ndarray:
    """A 640x480 frame with a smaller face on the left and a larger one on the right."""
    frame = canvas_with_faces(face, [(10, 120)], size=180)
    frame[60:360, 380:615] = cv2.resize(face, (235, 300))
    return frame


def test_eval_detect_counts_photos_without_a_face(tmp_path, tiny_model, face_crop, capsys):
    from fer_desktop.cli import main

    tree = tmp_path / "photos"
    (tree / "happy").mkdir(parents=True)
    (tree / "sad").mkdir()
    # Only the largest face of a photo counts, so one face per photo.
    cv2.imwrite(str(tree / "happy" / "two_faces.jpg"), _two_faces(face_crop))
    cv2.imwrite(str(tree / "happy" / "one_face.jpg"), canvas_with_faces(face_crop, [(230, 100)], 200))
    cv2.imwrite(str(tree / "sad" / "wall.jpg"), np.full((480, 640, 3), 120, dtype=np.uint8))
    out = tmp_path / "eval.json"
    args = ["eval", "--data", str(tree), "--detect", "--model", str(tiny_model), "--json", str(out)]
    assert main(args) == 0
    report = json.loads(out.read_text())
    assert report["n"] == 3 and report["no_face"] == 1 and report["detect"] is True
    assert report["no_face_photos"] == [str(tree / "sad" / "wall.jpg")]
    assert np.array(report["confusion_matrix"]).sum() == 2  # one face per photo with faces
    assert report["per_class"]["sad"]["recall"] == 0.0 and report["per_class"]["sad"]["support"] == 1
    assert report["per_class"]["sad"]["true_share"] == round(1 / 3, 4)
    assert sum(m["predicted_share"] for m in report["per_class"].values()) == pytest.approx(2 / 3, abs=1e-3)
    assert "no face found in 1 of 3 photos" in capsys.readouterr().out


def test_detect_scores_the_largest_face_cropped_as_label_does(tmp_path, face_crop):
    from fer_desktop.labelling.detected_faces import detect_labelled_faces
    from fer_desktop.pipeline.faces import FaceDetector, crop_face
    from training.contract.preprocess import to_model_input

    frame = _two_faces(face_crop)
    (tmp_path / "happy").mkdir()
    cv2.imwrite(str(tmp_path / "happy" / "a.png"), frame)
    with FaceDetector() as detector:
        boxes = detector.detect(frame)
        found = detect_labelled_faces(tmp_path, "all", detector, margin=0.3)
    assert len(boxes) == 2 and len(found.faces) == 1 and found.no_face.sum() == 0
    largest = max(boxes, key=lambda b: b.area)
    assert largest.x > 350  # the right-hand, larger face
    np.testing.assert_array_equal(found.faces.images[0], to_model_input(crop_face(frame, largest, 0.3)))
    assert found.faces.labels.tolist() == [CLASS_NAMES.index("happy")]


def test_detect_refuses_pixel_rows_and_unreadable_photos(tmp_path, tiny_model, capsys):
    from fer_desktop.cli import main

    csv_file = tmp_path / "fer2013.csv"
    csv_file.write_text("emotion,pixels,Usage\n")
    assert main(["eval", "--data", str(csv_file), "--detect", "--model", str(tiny_model)]) == 1
    assert "not photos" in capsys.readouterr().err
    tree = tmp_path / "photos"
    (tree / "happy").mkdir(parents=True)
    (tree / "happy" / "broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    assert main(["eval", "--data", str(tree), "--detect", "--model", str(tiny_model)]) == 1
    assert "broken.jpg" in capsys.readouterr().err


def test_model_bench_prints_one_column_per_model(tmp_path, tiny_model, face_crop):
    from tests.test_bench import run

    fer = tmp_path / "fer2013"
    for prefix in ("PublicTest", "PrivateTest"):
        for f in make_class_folders(tmp_path / prefix, 2).rglob("*.png"):  # to test/<class>/<Split>_<id>
            (fer / "test" / f.parent.name).mkdir(parents=True, exist_ok=True)
            f.rename(fer / "test" / f.parent.name / f"{prefix}_{f.name}")
    sfew = tmp_path / "sfew"
    (sfew / "happy").mkdir(parents=True)
    (sfew / "sad").mkdir()
    cv2.imwrite(str(sfew / "happy" / "face.jpg"), _two_faces(face_crop))
    cv2.imwrite(str(sfew / "sad" / "wall.jpg"), np.full((480, 640, 3), 120, dtype=np.uint8))
    other = tmp_path / "other" / "tiny.keras"
    other.parent.mkdir()
    other.write_bytes(tiny_model.read_bytes())
    md = tmp_path / "table.md"
    args = ["--fer2013", str(fer), "--sfew", str(sfew), "--calls", "3", "--markdown", str(md)]
    out = run("bench_models.py", *args, "--model", str(tiny_model), "--model", str(other))
    assert "FER2013 n = 14 + 14; sfew_dev n = 2 crops, 2 photos with --detect" in out
    assert "(1 no face)" in out and "worst share ratio" in out and "ms (tensorflow)" in out
    table = md.read_text()
    assert f"| | {tiny_model} | {other} |" in table
    assert len([line for line in table.splitlines() if line.startswith("| ")]) == 13
