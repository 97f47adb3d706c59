"""Personal calibration: a short fine-tune of a trained model on one person's face crops.

Every model fails first on its user's own face (a resting face read as sad, a
subtle smile).  A few photos of that face, one per emotion or even a single
emotion, are enough to correct it if the fine-tune is short and gentle: the
crops and their mirror images, a low learning rate, a few full-batch steps,
the base's batch-norm statistics frozen (one person's photos would otherwise
replace the statistics of thousands of faces within a few steps) and, where the
photos cover only some emotions, a light distillation term that keeps the base
model's outputs on strongly augmented copies of the photos.

How far the result moves from the base is set by how much the photos cover
(``calibrate``): with four emotions or more it is the fine-tuned model itself, tuned
without the distillation term (the photos cover the face: the model is the person's);
with fewer it keeps that term and lies part of the way from the base's weights (one
emotion: a quarter), so that one emotion given alone barely moves the model on the others.
Photos of the resting face alone get another method, class offsets on the last
layer (``training.personal_offsets``): a fine-tune taught only "this is my
neutral" learns to say neutral for this face whatever it does.  Measured one
person at a time with ``bench/bench_person.py``
(docs/experiments/2026-12-03-person-calibration.md, 2026-12-06-rest-face-reference.md):
a personal model is for its person, and the full-strength fine-tune that gains most on
them costs other people's faces several points; that trade was made for the person.

Takes arrays (``to_model_input`` crops and class indices), never files: the
photo and face side lives in ``fer_desktop.personal.fine_tune``.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from training.config import PERSONALIZE_METHODS, PersonalizeSettings
from training.contract.labels import CLASS_INDEX, CLASS_NAMES, NUM_CLASSES
from training.contract.preprocess import preprocessing_record
from training.personal_card import (  # the card's functions are also reached from here
    HOLDOUT_MIN_PHOTOS,
    MEASURED_IN,
    personal_card_markdown,  # noqa: F401
    write_personal_card,
)

LAYER_CHOICES = ("all", "bn_head")


@dataclass
class PersonalizeResult:
    model: Any  # the fine-tuned keras.Model
    losses: list[float]
    wall_time_s: float
    stopped: bool = False
    method: str = "fine-tune"  # or "rest-face"
    strength: dict[str, Any] = field(default_factory=dict)  # what set how far the model moved


def check_inputs(images: np.ndarray, labels: np.ndarray) -> None:
    if images.ndim != 4 or images.shape[1:] != (96, 96, 3) or len(images) == 0:
        raise ValueError(f"expected a non-empty (N, 96, 96, 3) batch of crops, got {images.shape}")
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} crops but {len(labels)} labels")
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise ValueError(f"labels must be class indices 0..{NUM_CLASSES - 1}")


def with_mirrors(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The photos and their mirror images: a face's expression does not depend on its side."""
    return np.concatenate([images, images[:, :, ::-1]]), np.concatenate([labels, labels])


def _set_trainable(model, layers: str) -> None:
    import keras

    if layers not in LAYER_CHOICES:
        raise ValueError(f"layers must be one of {LAYER_CHOICES}, not {layers!r}")
    last = model.layers[-1]
    for layer in model.layers:
        keep = layers == "all" or layer is last or isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = keep


def copy_model(model):
    import keras

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def personalize_model(
    base,
    images: np.ndarray,
    labels: np.ndarray,
    settings: PersonalizeSettings | None = None,
    on_step: Callable[[int, int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PersonalizeResult:
    """Fine-tune a copy of ``base`` on one person's crops; ``base`` itself is left unchanged.

    ``on_step(step, steps, loss)`` reports progress; ``should_stop`` is polled
    after every step (the model so far is returned, marked ``stopped``).
    """
    import keras
    import tensorflow as tf

    from training.augment import make_augmenter

    settings = settings or PersonalizeSettings()
    images = np.asarray(images, dtype=np.uint8)
    labels = np.asarray(labels, dtype=np.int64)
    check_inputs(images, labels)
    started = time.monotonic()
    keras.utils.set_random_seed(settings.seed)
    student = copy_model(base)
    _set_trainable(student, settings.layers)
    x_all, y_all = with_mirrors(images, labels)
    targets = np.eye(NUM_CLASSES, dtype=np.float32)[y_all]
    rng = np.random.default_rng(settings.seed)

    light = make_augmenter(settings.seed)
    strong = make_augmenter(settings.seed + 10, random_erasing=settings.distill_erasing)
    ce = keras.losses.CategoricalCrossentropy(label_smoothing=settings.label_smoothing)
    kl = keras.losses.KLDivergence()
    bn_training = not settings.freeze_bn_stats
    optimizer = keras.optimizers.Adam(settings.learning_rate)
    optimizer.build(student.trainable_variables)
    weight = tf.constant(settings.distill_weight, tf.float32)

    @tf.function(reduce_retracing=True)
    def step(x, y):
        x = tf.cast(x, tf.float32)
        x_fit = light(x, training=True)
        distill = settings.distill_weight > 0  # at full strength: no copies, no base pass
        if distill:
            x_keep = strong(x, training=True)
            kept = base(x_keep, training=False)
        with tf.GradientTape() as tape:
            loss = ce(y, student(x_fit, training=bn_training))
            if distill:
                loss += weight * kl(kept, student(x_keep, training=bn_training))
        grads = tape.gradient(loss, student.trainable_variables)
        optimizer.apply_gradients(zip(grads, student.trainable_variables, strict=True))
        return loss

    losses: list[float] = []
    stopped = False
    for i in range(settings.steps):
        if len(x_all) > settings.batch_size:
            idx = rng.choice(len(x_all), settings.batch_size, replace=False)
            loss = step(x_all[idx], targets[idx])
        else:
            loss = step(x_all, targets)
        losses.append(float(loss))
        if not np.isfinite(losses[-1]):
            raise FloatingPointError(f"personalising stopped at step {i + 1}: the loss became NaN")
        if on_step is not None:
            on_step(i + 1, settings.steps, losses[-1])
        if should_stop is not None and should_stop():
            stopped = True
            break
    for layer in student.layers:
        layer.trainable = True
    if settings.mix < 1.0:
        student.set_weights(mix_weights(base.get_weights(), student.get_weights(), settings.mix))
    return PersonalizeResult(student, losses, time.monotonic() - started, stopped)


def choose_method(labels: np.ndarray, method: str = "auto") -> str:
    """ "rest-face" or "fine-tune" for these labels; ``auto``: rest-face when every photo is neutral.

    A fine-tune taught only "this is my neutral" learns to say neutral for this
    face whatever it does; the rest-face calibration moves the last layer's
    offsets instead (``training.personal_offsets``).
    """
    if method not in PERSONALIZE_METHODS:
        raise ValueError(f"method must be one of {', '.join(PERSONALIZE_METHODS)}, not {method!r}")
    only_neutral = bool(np.all(labels == CLASS_INDEX["neutral"]))
    if method == "rest-face" and not np.any(labels == CLASS_INDEX["neutral"]):
        raise ValueError("the rest-face calibration needs neutral photos (your resting face); none was given")
    if method == "auto":
        return "rest-face" if only_neutral else "fine-tune"
    return method


def calibrate(
    base,
    images: np.ndarray,
    labels: np.ndarray,
    settings: PersonalizeSettings | None = None,
    on_step: Callable[[int, int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    reference: np.ndarray | None = None,
    applied: np.ndarray | None = None,
) -> PersonalizeResult:
    """The personal calibration ``personalize`` runs: the method and its strength chosen from the photos.

    A fine-tune whose mix grows with the number of emotions given
    (``PersonalizeSettings.mix_for``), or, on resting-face photos, the rest-face
    offsets (only the neutral photos are used), compared with the base's reference
    features when it has them (``reference``; ``applied``: the offsets an earlier rest-face
    calibration left in the base's bias, replaced).  ``base`` is left unchanged.
    """
    settings = settings or PersonalizeSettings()
    images = np.asarray(images, dtype=np.uint8)
    labels = np.asarray(labels, dtype=np.int64)
    check_inputs(images, labels)
    method = choose_method(labels, settings.method)
    if method == "rest-face":
        from training.personal_offsets import rest_face_model

        started = time.monotonic()
        resting = images[labels == CLASS_INDEX["neutral"]]
        model, strength = rest_face_model(base, resting, settings.rest_margin, reference, applied)
        if on_step is not None:
            on_step(1, 1, 0.0)
        return PersonalizeResult(model, [], time.monotonic() - started, False, method, strength)
    given = len(np.unique(labels))
    mix, distill = settings.mix_for(given), settings.distill_for(given)
    tuned = replace(settings, mix=mix, distill_weight=distill)
    result = personalize_model(base, images, labels, tuned, on_step, should_stop)
    result.strength = {"emotions_given": given, "mix": round(mix, 4), "distill_weight": distill}
    return result


def mix_weights(base: list[np.ndarray], tuned: list[np.ndarray], share: float) -> list[np.ndarray]:
    """``share`` of the way from the base's weights to the fine-tuned ones.

    Interpolating weights keeps much of a fine-tune's gain and much of the base's
    behaviour elsewhere (Wortsman et al., WiSE-FT, 2022).
    """
    return [b + share * (t - b) for b, t in zip(base, tuned, strict=True)]


def accuracy(model, images: np.ndarray, labels: np.ndarray) -> float:
    from training.evaluate import predict_probs

    if len(images) == 0:
        return float("nan")
    return float(np.mean(np.argmax(predict_probs(model, images), axis=1) == labels))


def holdout_split(labels: np.ndarray, every: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, held_out): one photo in ``every`` of each emotion that has at least ``every``.

    Emotions with fewer photos keep them all for training: with one photo of
    an emotion, that photo is worth more as training data than as a test; a
    set of fewer than ``HOLDOUT_MIN_PHOTOS`` holds nothing out.
    """
    rng = np.random.default_rng(seed)
    held: list[int] = []
    for c in range(NUM_CLASSES if len(labels) >= HOLDOUT_MIN_PHOTOS else 0):
        idx = np.flatnonzero(labels == c)
        if len(idx) >= every:
            held.extend(rng.choice(idx, len(idx) // every, replace=False).tolist())
    mask = np.zeros(len(labels), dtype=bool)
    mask[np.asarray(held, dtype=np.int64)] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def training_split(
    labels: np.ndarray, every: int, seed: int, check: tuple[np.ndarray, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, held_out): with check photos nothing is held out (the check round is the
    honest figure, and every captured photo trains); without, ``holdout_split``."""
    if check is not None and len(check[1]):
        return np.arange(len(labels)), np.zeros(0, dtype=np.int64)
    return holdout_split(labels, every, seed)


def class_counts(labels: np.ndarray) -> dict[str, int]:
    counts = np.bincount(labels, minlength=NUM_CLASSES)
    return {name: int(n) for name, n in zip(CLASS_NAMES, counts, strict=True) if n}


def personalize_and_save(
    base,
    images: np.ndarray,
    labels: np.ndarray,
    out,
    *,
    base_path,
    settings: PersonalizeSettings,
    on_step: Callable[[int, int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    holdout_every: int = 4,
    check: tuple[np.ndarray, np.ndarray] | None = None,
    name: str | None = None,
    reference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fine-tune, measure on held-out photos when there are enough, write model + TFLite copy + card.

    Returns the card (also written beside ``out``).  Held-out photos are kept out
    of the fine-tune so that the before/after figure is an honest one.  ``check``:
    (images, labels) of photos taken apart for the purpose (a guided calibration's
    check round), scored per emotion with the base and the new model (the card's
    ``check``); with them nothing is held out.  ``name``: the card's name (default: the file's stem).
    ``reference``: the base card's ``reference_features`` record (a rest-face model keeps it:
    only its bias changed, its features are the base's).
    """
    from pathlib import Path

    from training.contract.tflite_copy import file_sha256
    from training.fit import save_model

    out = Path(out)
    base_sha = file_sha256(base_path)  # before anything: the base file may be replaced later
    train_idx, held_idx = training_split(labels, holdout_every, settings.seed, check)
    from training.personal_offsets import offsets_array
    from training.reference_features import CARD_KEY, applied_offsets, reference_mean

    mean = reference_mean({CARD_KEY: reference}, int(base.layers[-1].input.shape[-1]))
    applied = applied_offsets({CARD_KEY: reference}) if mean is not None else None
    result = calibrate(
        base, images[train_idx], labels[train_idx], settings, on_step, should_stop, mean, applied
    )
    fitted = train_idx  # the photos the calibration used (rest-face: the neutral ones)
    if result.method == "rest-face":
        fitted = train_idx[labels[train_idx] == CLASS_INDEX["neutral"]]
    held_out = None
    if len(held_idx):
        held_out = {
            "n": len(held_idx),
            "per_emotion": class_counts(labels[held_idx]),
            "accuracy_before": round(accuracy(base, images[held_idx], labels[held_idx]), 4),
            "accuracy_after": round(accuracy(result.model, images[held_idx], labels[held_idx]), 4),
        }
    with contextlib.redirect_stdout(io.StringIO()):  # the converter prints its signature listing
        lite = save_model(result.model, out, images[train_idx], "the person's photos, with augmented copies")
    card = {
        "name": name or out.stem,
        "kind": "personalised",
        "path": str(out),
        "class_names": list(CLASS_NAMES),
        "input_shape": [int(d) for d in result.model.input_shape[1:]],
        "preprocessing": preprocessing_record(),
        "architecture": result.model.name,
        "params": int(result.model.count_params()),
        "base": {"path": str(base_path), "file": Path(base_path).name, "sha256": base_sha},
        "photos": {
            "per_emotion": class_counts(labels),
            "trained_on": class_counts(labels[train_idx]),
            "held_out": class_counts(labels[held_idx]),
        },
        "settings": settings.as_dict(),
        "calibration": {
            "method": result.method,
            "strength": result.strength,
            "on_its_photos": {
                "n": len(fitted),
                "accuracy_before": round(accuracy(base, images[fitted], labels[fitted]), 4),
                "accuracy_after": round(accuracy(result.model, images[fitted], labels[fitted]), 4),
            },
            "measured_in": MEASURED_IN,
        },
        "training": {
            "steps_run": len(result.losses),
            "stopped_by_user": result.stopped,
            "losses": [round(v, 5) for v in result.losses],
            "wall_time_s": round(result.wall_time_s, 1),
        },
        "held_out": held_out,
        "evaluation": {} if held_out is None else {"held_out": {"accuracy": held_out["accuracy_after"]}},
        "tflite": lite,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if check is not None and len(check[1]):
        card["check"] = per_emotion_scores(base, result.model, *check)
    if result.method == "rest-face" and mean is not None:
        # The base's features, the base's reference; and what is now in the bias, for a later run.
        offsets = offsets_array(result.strength)
        card[CARD_KEY] = {**reference, "applied_offsets": [round(float(v), 4) for v in offsets]}
    write_personal_card(out, card)
    return card


def per_emotion_scores(base, model, images: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """How many photos of each emotion the base model and the new one get right."""
    from training.evaluate import predict_probs

    right_before = np.argmax(predict_probs(base, images), axis=1) == labels
    right_after = np.argmax(predict_probs(model, images), axis=1) == labels
    per_emotion = {
        CLASS_NAMES[c]: {
            "n": int(np.sum(labels == c)),
            "before": int(np.sum(right_before[labels == c])),
            "after": int(np.sum(right_after[labels == c])),
        }
        for c in sorted(set(labels.tolist()))
    }
    return {"n": len(labels), "per_emotion": per_emotion}
