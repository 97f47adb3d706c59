"""The TFLite copy: same answers as the Keras model, never stale, no TensorFlow at start-up."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from training.contract.labels import NUM_CLASSES


@pytest.fixture
def small_model():
    """A fresh (untrained but non-trivial) model with a card and a TFLite copy, in the user's models."""
    from fer_desktop.paths import user_models_dir
    from training.card import write_card
    from training.model import make_model
    from training.tflite import add_tflite_copy

    path = user_models_dir() / "small" / "small.keras"
    path.parent.mkdir(parents=True)
    model = make_model(width=4)
    model.save(path)
    write_card(path, {"name": "small"})
    add_tflite_copy(path)
    return path


def _crops(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.integers(0, 256, (60 + 10 * i, 50 + 7 * i, 3), dtype=np.uint8) for i in range(n)]


def test_tflite_copy_matches_the_keras_model(small_model):
    from fer_desktop.models.classifier import KerasClassifier, open_classifier

    lite = open_classifier(small_model)
    keras_runtime = KerasClassifier(small_model)
    try:
        assert lite.runtime == "tflite"
        crops = _crops(5)
        expected = keras_runtime.predict(crops)
        got = lite.predict(crops)
        assert got.shape == (5, NUM_CLASSES)
        np.testing.assert_allclose(got, expected, atol=1e-5)
        assert lite.predict([]).shape == (0, NUM_CLASSES)
    finally:
        lite.close()


def test_a_stale_or_tampered_copy_is_not_used(small_model):
    from fer_desktop.models.classifier import open_classifier
    from training.model import make_model

    make_model(width=4).save(small_model)  # retrained in place: the copy no longer matches
    assert open_classifier(small_model).runtime == "tensorflow"

    from training.contract.tflite_copy import tflite_path
    from training.tflite import add_tflite_copy

    add_tflite_copy(small_model)
    lite = open_classifier(small_model)
    assert lite.runtime == "tflite"
    lite.close()
    tflite_path(small_model).write_bytes(b"not a flatbuffer")
    assert open_classifier(small_model).runtime == "tensorflow"


def test_a_card_beside_a_model_from_elsewhere_does_not_vouch_for_a_copy(small_model, tmp_path):
    """A --model file with its own card and copy runs on TensorFlow: the card could name any network."""
    import shutil

    from fer_desktop.models.classifier import open_classifier

    outside = tmp_path / "downloaded"
    shutil.copytree(small_model.parent, outside)
    assert open_classifier(outside / small_model.name).runtime == "tensorflow"


def _wrong_shape_flatbuffer() -> bytes:
    import keras
    import tensorflow as tf

    face = keras.Input((48, 48, 3), batch_size=1, dtype="uint8")
    x = keras.layers.Flatten()(keras.ops.cast(face, "float32"))
    wrong = keras.Model(face, keras.layers.Dense(7, activation="softmax")(x))
    return tf.lite.TFLiteConverter.from_keras_model(wrong).convert()


def test_a_forged_card_cannot_vouch_for_a_copy_of_the_wrong_shape(small_model):
    from fer_desktop.models.classifier import open_classifier
    from training.card import write_card
    from training.contract.model_card import card_paths, read_card
    from training.contract.tflite_copy import file_sha256, shape_problem, tflite_path

    copy = tflite_path(small_model)
    assert shape_problem(copy.read_bytes()) is None
    copy.write_bytes(_wrong_shape_flatbuffer())
    card = read_card(small_model)
    card["tflite"]["sha256"] = file_sha256(copy)  # the card vouches for the new file
    write_card(small_model, card)
    assert "input" in shape_problem(copy.read_bytes())
    assert open_classifier(small_model).runtime == "tensorflow"
    card_paths(small_model)[0].write_text('["not", "a", "card"]')  # malformed: no copy, no crash
    assert open_classifier(small_model).runtime == "tensorflow"


def test_only_intact_keras_archives_are_loaded(small_model, tmp_path):
    from fer_desktop.models.classifier import ModelLoadError, load_checked_model, open_classifier

    h5 = tmp_path / "legacy.h5"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(ModelLoadError, match=r"only \.keras model files"):
        open_classifier(h5)
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(small_model.read_bytes()[:5000])
    garbage = tmp_path / "garbage.keras"
    garbage.write_bytes(b"garbage")
    for corrupt in (truncated, garbage):
        for load in (open_classifier, load_checked_model):
            with pytest.raises(ModelLoadError, match=r"corrupt: not a valid \.keras file") as err:
                load(corrupt)
            assert "not found" not in str(err.value).lower()


def test_export_carries_the_copy(small_model, tmp_path):
    from training.export import export_model

    dest = tmp_path / "shipped" / "fer_default.keras"
    card = export_model(small_model, dest)
    assert card["tflite"]["file"] == "fer_default.tflite"
    assert (dest.with_suffix(".tflite")).read_bytes() == small_model.with_suffix(".tflite").read_bytes()
    on_disk = json.loads(dest.with_name("fer_default.card.json").read_text())
    assert on_disk["tflite"]["keras_sha256"] == on_disk["file"]["sha256"]


def test_the_shipped_model_has_a_current_copy(model_path):
    from training.contract.model_card import read_card
    from training.contract.tflite_copy import matching_tflite

    assert matching_tflite(model_path, read_card(model_path)) is not None, (
        "assets/models/fer_default.tflite is missing or stale: run python -m training.tflite on the model"
    )


def test_the_live_pipeline_starts_without_tensorflow(model_path, one_face_frame, tmp_path):
    """Start-up time: MediaPipe and the shipped model load without importing TensorFlow."""
    frame_file = tmp_path / "frame.npy"
    np.save(frame_file, one_face_frame)
    script = textwrap.dedent(
        f"""
        import sys
        import numpy as np
        from fer_desktop.pipeline.analyzer import build_analyzer
        from fer_desktop.pipeline.frame import Frame

        analyzer = build_analyzer({str(model_path)!r})
        result = analyzer.analyze(Frame(np.load({str(frame_file)!r}), 0, 0.0))
        assert len(result.faces) == 1, result
        assert analyzer.classifier.runtime == "tflite-int8"  # the shipped int8 copy, on LiteRT
        assert "tensorflow" not in sys.modules, "TensorFlow was imported"
        analyzer.close()
        import tensorflow  # still importable afterwards, for training
        print("ok", tensorflow.__name__)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ok tensorflow" in done.stdout
