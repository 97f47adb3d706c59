"""Personal calibration: a short fine-tune of a trained model on one person's face crops.

Every model fails first on its user's own face (a resting face read as sad, a
subtle smile).  A few photos of that face, one per emotion or even a single
emotion, are enough to correct it if the fine-tune is short and gentle: the
crops and their mirror images, a low learning rate, a few full-batch steps.
Three things keep what the base model knows about everyone else (and about the
emotions the user did not give): batch-norm statistics stay frozen (one
person's photos would otherwise replace the statistics of thousands of faces
within a few steps), a distillation term keeps the base model's outputs on
strongly augmented copies of the photos, and the result lies halfway between
the base's weights and the fine-tuned ones.  Measured with
``bench/bench_personalize.py`` (see the README): without distillation, one
emotion taught on three photos of a face made the model read 89% of other
people's faces as that emotion (13% before); without the halfway mix,
FER2013 PublicTest lost up to 5.6 points.

Takes arrays (``to_model_input`` crops and class indices), never files: the
photo and face side lives in ``fer_desktop.personal.fine_tune``.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from training.config import PersonalizeSettings
from training.contract.labels import CLASS_NAMES, NUM_CLASSES
from training.contract.preprocess import preprocessing_record

LAYER_CHOICES = ("all", "bn_head")


@dataclass
class PersonalizeResult:
    model: Any  # the fine-tuned keras.Model
    losses: list[float]
    wall_time_s: float
    stopped: bool = False


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
        x_keep = strong(x, training=True)
        kept = base(x_keep, training=False)
        with tf.GradientTape() as tape:
            loss = ce(y, student(x_fit, training=bn_training))
            if settings.distill_weight > 0:
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


HOLDOUT_MIN_PHOTOS = 12  # fewer photos than this: all of them train, and there is no before/after figure


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
) -> dict[str, Any]:
    """Fine-tune, measure on held-out photos when there are enough, write model + TFLite copy + card.

    Returns the card (also written beside ``out``).  Held-out photos are kept out
    of the fine-tune so that the before/after figure is an honest one.
    """
    from pathlib import Path

    from training.contract.tflite_copy import file_sha256
    from training.fit import save_model

    out = Path(out)
    base_sha = file_sha256(base_path)  # before anything: the base file may be replaced later
    train_idx, held_idx = holdout_split(labels, holdout_every, settings.seed)
    result = personalize_model(base, images[train_idx], labels[train_idx], settings, on_step, should_stop)
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
        "name": out.stem,
        "kind": "personalised",
        "path": str(out),
        "class_names": list(CLASS_NAMES),
        "input_shape": [int(d) for d in result.model.input_shape[1:]],
        "preprocessing": preprocessing_record(),
        "architecture": result.model.name,
        "params": int(result.model.count_params()),
        "base": {"path": str(base_path), "sha256": base_sha},
        "photos": {
            "per_emotion": class_counts(labels),
            "trained_on": class_counts(labels[train_idx]),
            "held_out": class_counts(labels[held_idx]),
        },
        "settings": settings.as_dict(),
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
    write_personal_card(out, card)
    return card


def write_personal_card(model_path, card: dict[str, Any]) -> None:
    from training.contract import atomic
    from training.contract.model_card import card_paths

    json_path, md_path = card_paths(model_path)
    atomic.write_json(json_path, card)
    atomic.write_text(md_path, personal_card_markdown(card))


def personal_card_markdown(card: dict[str, Any]) -> str:
    from training.card import inline

    photos, held = card.get("photos", {}), card.get("held_out")
    settings = card.get("settings", {})
    lines = [
        f"# Model card: {card.get('name')} (personalised)",
        "",
        f"- Base model: {card['base']['path']} (SHA-256 {card['base']['sha256']})",
        f"- Photos per emotion: {inline(photos.get('per_emotion'))}; "
        f"trained on {inline(photos.get('trained_on'))}",
        f"- Photos without a face: {len(photos.get('no_face', []))}; "
        f"unreadable: {len(photos.get('unreadable', []))}",
        f"- Settings: {', '.join(f'{k} {v}' for k, v in settings.items())}",
        f"- Steps: {card['training']['steps_run']}, {card['training']['wall_time_s']} s",
    ]
    if held:
        lines.append(
            f"- Held-out photos of the set ({held['n']}: {inline(held['per_emotion'])}): accuracy "
            f"{held['accuracy_before']:.1%} before, {held['accuracy_after']:.1%} after"
        )
    else:
        lines.append(
            f"- Held-out photos: none (needs {HOLDOUT_MIN_PHOTOS} photos or more, "
            "4 of an emotion to spare one)"
        )
    return "\n".join(lines) + "\n"
