"""The int8 copy: close to the Keras model, vouched for by the card, and a fallback with a reason."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest

from training.contract.preprocess import to_model_input


def face_variants(face: np.ndarray, n: int = 120, seed: int = 3) -> list[np.ndarray]:
    """Crops of one face as a camera might give them: shifted, scaled, turned, lit, blurred, noisy,
    half of them mirrored and some squeezed to a non-square crop."""
    rng = np.random.default_rng(seed)
    h, w = face.shape[:2]
    out = []
    for _ in range(n):
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-20, 20), rng.uniform(0.8, 1.25))
        matrix[:, 2] += rng.uniform(-0.12, 0.12, 2) * (w, h)
        img = cv2.warpAffine(face, matrix, (w, h), borderMode=cv2.BORDER_REFLECT).astype(np.float32)
        img = img * rng.uniform(0.5, 1.5) + rng.uniform(-60, 60)
        if rng.random() < 0.3:
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 3))
        img += rng.normal(0, rng.uniform(0, 12), img.shape)
        img = np.clip(img, 0, 255).astype(np.uint8)
        if rng.random() < 0.5:
            img = img[:, ::-1]
        if rng.random() < 0.3:
            img = img[: int(h * rng.uniform(0.7, 1))]
        out.append(np.ascontiguousarray(img))
    return out


def small_model_with_copies(path, images):
    """A fresh width-4 model in the user's models with a card, its float copy and its int8 copy."""
    from training.card import write_card
    from training.model import make_model
    from training.tflite import write_tflite

    path.parent.mkdir(parents=True)
    model = make_model(width=4)
    model.save(path)
    write_card(path, {"name": path.stem, "tflite": write_tflite(model, path, images, "test faces")})
    return path


@pytest.fixture
def test_faces(face_crop) -> np.ndarray:
    return np.stack([to_model_input(c) for c in face_variants(face_crop, 40)])


def test_the_shipped_int8_copy_agrees_with_the_keras_model(model_path, face_crop, astronaut_bgr):
    """Measured on these 160 crops: every emotion the same, probabilities within 0.05."""
    from fer_desktop.models.classifier import TFLITE_INT8, KerasClassifier, open_classifier

    crops = (
        face_variants(face_crop)
        + [  # and 40 crops that are not faces at all
            astronaut_bgr[y : y + 150, x : x + 150] for y in range(0, 360, 90) for x in range(0, 360, 36)
        ]
    )
    int8 = open_classifier(model_path)
    keras_runtime = KerasClassifier(model_path)
    try:
        assert int8.runtime == TFLITE_INT8 and int8.fallback_reason is None
        assert int8.tflite_file.name == "fer_default.int8.tflite"
        got, expected = int8.predict(crops), keras_runtime.predict(crops)
    finally:
        int8.close()
    assert len(set(expected.argmax(1))) >= 3, "the test crops should not all look alike to the model"
    np.testing.assert_allclose(got.sum(1), 1, atol=1e-5)  # int8 steps of 1/256, rescaled to sum 1
    agreement, largest = (got.argmax(1) == expected.argmax(1)).mean(), np.abs(got - expected).max()
    print(f"int8 vs keras: {agreement:.1%} same emotion, largest probability difference {largest:.3f}")
    assert agreement >= 0.95 and largest <= 0.1


def test_a_missing_or_stale_copy_falls_back_with_the_reason(test_faces, caplog):
    from fer_desktop.models.classifier import TENSORFLOW, TFLITE, TFLITE_INT8, open_classifier
    from fer_desktop.paths import user_models_dir
    from training.contract.tflite_copy import int8_path
    from training.model import make_model

    path = small_model_with_copies(user_models_dir() / "mine" / "mine.keras", test_faces)
    first = open_classifier(path)
    assert first.runtime == TFLITE_INT8 and first.fallback_reason is None
    first.close()

    int8_path(path).unlink()
    with caplog.at_level(logging.WARNING):
        float_copy = open_classifier(path)
    assert float_copy.runtime == TFLITE
    assert float_copy.fallback_reason == (
        "mine.keras: int8 copy: mine.int8.tflite is missing. Running on its float TFLite copy."
    )
    assert float_copy.fallback_reason in caplog.text  # the command-line tools print warnings
    float_copy.close()

    make_model(width=4).save(path)  # retrained in place: both copies are stale
    keras_runtime = open_classifier(path)
    assert keras_runtime.runtime == TENSORFLOW
    assert "float copy: mine.tflite is stale" in keras_runtime.fallback_reason
    assert keras_runtime.fallback_reason.endswith("Running on TensorFlow (slower to start).")


def test_a_model_made_before_int8_copies_runs_its_float_copy_quietly(caplog):
    from fer_desktop.models.classifier import TFLITE, open_classifier
    from fer_desktop.paths import user_models_dir
    from training.card import write_card
    from training.model import make_model
    from training.tflite import add_tflite_copy

    path = user_models_dir() / "old" / "old.keras"
    path.parent.mkdir(parents=True)
    make_model(width=4).save(path)
    write_card(path, {"name": "old"})
    add_tflite_copy(path)
    with caplog.at_level(logging.WARNING):
        classifier = open_classifier(path)
    assert classifier.runtime == TFLITE and classifier.fallback_reason is None
    assert "old.keras" not in caplog.text
    classifier.close()


def test_the_copy_takes_raw_pixels_or_is_refused(test_faces):
    """Calibrated on images that never reach black or white, the input would be rescaled: the
    runtime feeds raw pixels, so such a copy is refused; the app's calibration set always spans 0..255."""
    from training.model import make_model
    from training.quantise import calibration_images, to_int8_tflite

    model = make_model(width=4)
    narrow = (test_faces // 2 + 60).astype(np.uint8)
    with pytest.raises(ValueError, match="quantised with scale"):
        to_int8_tflite(model, narrow)
    calibration = calibration_images(narrow, n=50)
    assert calibration.shape == (50, 96, 96, 3) and calibration.min() == 0 and calibration.max() == 255
    to_int8_tflite(model, calibration)  # fits


def test_few_photos_are_topped_up_with_augmented_copies(test_faces):
    from training.quantise import calibration_images

    few = test_faces[:5]
    calibration = calibration_images(few, n=60)
    assert calibration.shape == (60, 96, 96, 3) and calibration.dtype == np.uint8
    # The five photos are there as they are, and the other copies differ from all of them.
    copies = {c.tobytes() for c in calibration}
    assert {f.tobytes() for f in few} <= copies and len(copies) >= 59


def test_export_carries_the_int8_copy(test_faces, tmp_path):
    from fer_desktop.paths import user_models_dir
    from training.contract.model_card import read_card
    from training.contract.tflite_copy import int8_path, matching_int8
    from training.export import export_model

    source = small_model_with_copies(user_models_dir() / "run" / "model.keras", test_faces)
    dest = tmp_path / "shipped" / "fer_default.keras"
    card = export_model(source, dest)
    assert card["tflite"]["int8"]["file"] == "fer_default.int8.tflite"
    assert card["tflite"]["int8"]["calibration"]["source"] == "test faces"
    assert int8_path(dest).read_bytes() == int8_path(source).read_bytes()
    assert matching_int8(dest, read_card(dest)) == int8_path(dest)
