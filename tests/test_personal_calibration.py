"""The promises of personal calibration (``training.personalize.calibrate``), on data the tests make.

One emotion given alone does not take over the others; the base model file is
never touched; the rest-face calibration moves a resting face to neutral and
leaves a clearly different class alone; Stop leaves a usable model.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np

from training.contract.labels import CLASS_INDEX, NUM_CLASSES

NEUTRAL, SAD, HAPPY = CLASS_INDEX["neutral"], CLASS_INDEX["sad"], CLASS_INDEX["happy"]


def colour_model():
    """A model that reads a crop's mean colour: red is happy, blue is sad, neutral a constant 2.

    Built by hand (no training), with the same last layer as the app's models: a
    softmax Dense layer on pooled features, so the calibration sees a real model.
    """
    import keras

    inputs = keras.Input((96, 96, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(NUM_CLASSES, activation="softmax", name="probs")(pooled))
    kernel = np.zeros((3, NUM_CLASSES), np.float32)
    bias = np.full(NUM_CLASSES, -2.0, np.float32)
    kernel[0, HAPPY], kernel[2, SAD], bias[NEUTRAL], bias[HAPPY], bias[SAD] = 6.0, 4.0, 2.0, 0.0, 0.0
    model.layers[-1].set_weights([kernel, bias])
    return model


def flat(rgb: tuple[float, float, float], noise: int = 0, seed: int = 0) -> np.ndarray:
    """A 96x96 crop of one colour (channel means in 0..1), with a little noise."""
    rng = np.random.default_rng(seed)
    image = np.broadcast_to(np.asarray(rgb) * 255, (96, 96, 3)) + rng.normal(0, noise, (96, 96, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def test_rest_face_reads_neutral_and_a_clearly_different_class_keeps_its_answer():
    from training.evaluate import predict_probs
    from training.personalize import calibrate

    base = colour_model()
    resting = np.stack([flat((0.2, 0.5, 0.8), 4, seed) for seed in range(2)])  # bluish: read as sad
    another_rest = flat((0.2, 0.5, 0.75), 4, seed=7)[None]  # the same face, another photo
    red = flat((0.95, 0.3, 0.2))[None]  # clearly happy
    assert predict_probs(base, another_rest).argmax() == SAD

    result = calibrate(base, resting, np.full(2, NEUTRAL))
    assert result.method == "rest-face"
    after_rest, after_red = predict_probs(result.model, another_rest)[0], predict_probs(result.model, red)[0]
    assert after_rest.argmax() == NEUTRAL
    assert after_red.argmax() == HAPPY and after_red[HAPPY] > 0.9
    # The resting face leads with neutral by the margin, not by more: an expression can still win.
    log_p = np.log(predict_probs(result.model, resting)).mean(axis=0)
    assert np.delete(log_p[NEUTRAL] - log_p, NEUTRAL).min() >= 0.9  # default margin 1, two noisy photos
    assert set(result.strength["offsets"]) == {"sad", "happy"}  # nothing raised, only what beat neutral
    assert base.layers[-1].get_weights()[1][SAD] == 0.0  # the base model object is left as it was


def test_rest_face_lowers_neutral_when_the_model_is_too_sure_of_it():
    from training.personal_offsets import rest_face_offsets

    log_probs = np.log(np.full((2, NUM_CLASSES), 0.01))
    log_probs[:, NEUTRAL] = np.log(0.94)
    offsets = rest_face_offsets(log_probs, margin=1.0)
    after = log_probs.mean(axis=0) + offsets
    assert offsets[NEUTRAL] < 0 and np.count_nonzero(offsets) == 1
    assert np.isclose(after[NEUTRAL] - np.delete(after, NEUTRAL).max(), 1.0)


def test_compared_with_the_reference_face_a_slight_smile_of_this_face_reads_happy():
    """A face whose resting colour is far from the model's average face (greenish: little red)
    keeps its answers relative to its rest: its slight smile (a little redder than its rest,
    still less red than an average face) reads happy once the rest is compared with the
    reference, and neutral with the margin offsets alone."""
    from training.evaluate import predict_probs
    from training.personalize import calibrate

    base = colour_model()
    resting = np.stack([flat((0.1, 0.5, 0.5), 3, seed) for seed in range(2)])
    slight_smile = flat((0.3, 0.5, 0.5))[None]
    reference = np.array([0.5, 0.5, 0.5])  # the model's average training face
    alone = calibrate(base, resting, np.full(2, NEUTRAL))
    compared = calibrate(base, resting, np.full(2, NEUTRAL), reference=reference)
    assert compared.strength["reference"] and not alone.strength["reference"]
    for result in (alone, compared):  # either way the resting face reads neutral
        assert predict_probs(result.model, resting).argmax(axis=1).tolist() == [NEUTRAL, NEUTRAL]
    assert predict_probs(alone.model, slight_smile).argmax() == NEUTRAL
    assert predict_probs(compared.model, slight_smile).argmax() == HAPPY
    blue = flat((0.1, 0.5, 0.9))[None]  # this face, sad: still sad
    assert predict_probs(compared.model, blue).argmax() == SAD


def test_one_emotion_given_alone_does_not_take_over_the_others(face_crop, model_path):
    """Three photos of one face as "happy": other faces (scikit-image's LFW sample) keep their answers."""
    from skimage import data

    from training.config import PersonalizeSettings
    from training.contract.preprocess import batch_to_model_input, to_model_input
    from training.evaluate import predict_probs
    from training.model import load_model
    from training.personalize import calibrate

    others = batch_to_model_input([(f * 255).astype(np.uint8) for f in data.lfw_subset()[:100]])
    mine = np.stack([to_model_input(np.roll(face_crop, s, axis=1)) for s in (-8, 0, 8)])
    base = load_model(model_path)
    settings = PersonalizeSettings()
    result = calibrate(base, mine, np.full(3, HAPPY), settings)
    assert result.method == "fine-tune" and result.strength["emotions_given"] == 1
    assert result.strength["mix"] < settings.mix  # one emotion: a fraction of the full strength
    assert result.strength["distill_weight"] == settings.distill_weight > 0  # and the base's outputs kept
    before, after = predict_probs(base, others).argmax(1), predict_probs(result.model, others).argmax(1)
    assert np.mean(before == after) >= 0.95
    assert np.mean(after == HAPPY) - np.mean(before == HAPPY) <= 0.03


def test_photos_of_four_emotions_or_more_tune_at_full_strength_without_distillation():
    from training.config import PersonalizeSettings

    settings = PersonalizeSettings()
    assert [settings.mix_for(n) for n in (1, 2, 4, 7)] == [0.25, 0.5, 1.0, 1.0]
    assert [settings.distill_for(n) for n in (1, 3, 4, 7)] == [0.3, 0.3, 0.0, 0.0]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _crop_tree(root: Path, face: np.ndarray, per_emotion: dict[str, int]) -> Path:
    for emotion, n in per_emotion.items():
        (root / emotion).mkdir(parents=True)
        for i in range(n):
            cv2.imwrite(str(root / emotion / f"{i}.png"), np.roll(face, 6 * i, axis=1))
    return root


def test_rest_face_from_the_command_line_leaves_the_base_file_untouched(tmp_path, face_crop, model_path):
    from fer_desktop.cli import main

    base = tmp_path / "base.keras"
    base.write_bytes(model_path.read_bytes())
    base_card = model_path.with_name(model_path.stem + ".card.json")
    (tmp_path / "base.card.json").write_bytes(base_card.read_bytes())
    before = _sha256(base)
    root = _crop_tree(tmp_path / "me", face_crop, {"neutral": 2})
    out = tmp_path / "me.keras"
    assert main(["personalize", str(root), "--out", str(out), "--base", str(base), "--no-detect"]) == 0
    assert _sha256(base) == before
    card = json.loads(out.with_name("me.card.json").read_text())
    assert card["base"]["sha256"] == before
    assert card["calibration"]["method"] == "rest-face"
    strength = card["calibration"]["strength"]  # a smiling face as "my resting face": moved to neutral
    assert strength["neutral_on_rest_face_after"] > strength["neutral_on_rest_face_before"] + 0.2
    fit = card["calibration"]["on_its_photos"]
    assert fit["n"] == 2 and fit["accuracy_after"] > fit["accuracy_before"]
    assert "Method: rest-face" in out.with_name("me.card.md").read_text()
    # The shipped card has the reference face: the rest-face model used it and keeps it (only
    # its bias changed: its features are the base's).
    reference = json.loads(base_card.read_text())["reference_features"]
    kept = card["reference_features"]
    assert strength["reference"] and {k: v for k, v in kept.items() if k != "applied_offsets"} == reference

    # Calibrated again on the same photos, the rest-face model gives the same model: its
    # offsets are replaced, not added to (the reference shift would count twice).
    again = tmp_path / "again.keras"
    assert main(["personalize", str(root), "--out", str(again), "--base", str(out), "--no-detect"]) == 0
    from training.model import load_model

    once_bias, twice_bias = (load_model(m).layers[-1].get_weights()[1] for m in (out, again))
    assert np.allclose(once_bias, twice_bias, atol=1e-3)
    assert json.loads(again.with_name("again.card.json").read_text())["calibration"]["strength"][
        "replaced_earlier_offsets"
    ]


def test_rest_face_without_neutral_photos_is_a_clear_error(tmp_path, face_crop, capsys):
    from fer_desktop.cli import main

    root = _crop_tree(tmp_path / "me", face_crop, {"happy": 1})
    out = tmp_path / "me.keras"
    assert main(["personalize", str(root), "--out", str(out), "--no-detect", "--method", "rest-face"]) == 1
    assert "needs neutral photos" in capsys.readouterr().err
    assert not out.exists()


def test_stop_mid_run_leaves_a_usable_model(tmp_path, face_crop, model_path):
    from fer_desktop.models.classifier import load_checked_model
    from fer_desktop.personal.fine_tune import personalize_folder
    from training.contract.preprocess import to_model_input
    from training.evaluate import predict_probs

    root = _crop_tree(tmp_path / "me", face_crop, {"happy": 2, "sad": 2})
    out_dir = tmp_path / "models"
    out_dir.mkdir()
    out = out_dir / "me.keras"
    steps: list[int] = []
    card = personalize_folder(
        root, out, model_path, detect=False,
        on_step=lambda i, _n, _loss: steps.append(i), should_stop=lambda: len(steps) >= 2,
    )  # fmt: skip
    assert steps == [1, 2] and card["training"]["stopped_by_user"] is True
    written = sorted(p.name for p in out_dir.iterdir())  # and nothing half-written beside them
    assert written == ["me.card.json", "me.card.md", "me.int8.tflite", "me.keras", "me.tflite"]
    probs = predict_probs(load_checked_model(out), to_model_input(face_crop)[None])
    assert np.all(np.isfinite(probs)) and np.isclose(probs.sum(), 1.0, atol=1e-4)


def test_person_benchmark_trains_on_one_way_of_posing_and_tests_on_the_rest():
    from bench.bench_person import split
    from bench.person_data import Faces

    names = ["neutral/0101a01.jpg", "neutral/0101a02.jpg", "neutral/0101a03.jpg", "happy/0111b01.jpg",
             "happy/0111b02.jpg", "happy/0121b01.jpg", "sad/0111c01.jpg", "sad/0131c01.jpg",
             "angry/0121d01.jpg", "happy/0211b01.jpg"]  # fmt: skip
    labels = np.array([CLASS_INDEX[n.split("/")[0]] for n in names])
    faces = Faces(np.zeros((len(names), 96, 96, 3), np.uint8), labels, names)
    picked = {scenario: split(faces, "01", scenario) for scenario in ("k1", "k3", "rest", "one")}
    train, test = picked["k1"]
    assert [names[i] for i in train] == ["neutral/0101a01.jpg", "happy/0111b01.jpg", "sad/0111c01.jpg"]
    assert 9 not in test and len(train) + len(test) == 9  # another performer's photo is in neither
    assert [names[i] for i in picked["k3"][0]] == names[:2] + names[3:5] + [names[6]]  # one neutral kept
    assert [names[i] for i in picked["rest"][0]] == names[:2]
    assert [names[i] for i in picked["one"][0]] == ["happy/0111b01.jpg", "happy/0111b02.jpg"]


def test_a_reference_record_that_does_not_fit_the_model_is_not_used():
    from training.reference_features import CARD_KEY, applied_offsets, reference_mean

    good = {CARD_KEY: {"mean": [0.5, 0.5, 0.5], "applied_offsets": [0.0] * NUM_CLASSES}}
    assert reference_mean(good, 3).tolist() == [0.5, 0.5, 0.5] and applied_offsets(good) is not None
    for record in ({"mean": [0.5, 0.5]}, {"mean": ["a", 1, 2]}, {"mean": [0.5, float("nan"), 1]}, {}, "x"):
        assert reference_mean({CARD_KEY: record}, 3) is None  # wrong width, edited by hand, no record
    assert applied_offsets({CARD_KEY: {"applied_offsets": ["x"] * NUM_CLASSES}}) is None
    assert reference_mean(None, 3) is None and applied_offsets(None) is None
