"""Personal calibration through the model's last layer: class offsets, the resting face, a small head.

A softmax classifier ends in ``probs = softmax(W f + b)`` on the features ``f`` of
the layer before it.  Changing only ``b`` (per-person class offsets) or only
``W, b`` (a small head on frozen features) leaves everything the body learnt from
thousands of faces as it was, costs a forward pass of the photos and a fraction
of a second of fitting, and is saved as an ordinary model (the same layers, a
different bias).

The resting face is the case a fine-tune gets wrong: taught "these two photos
are neutral", it learns to say neutral for this face whatever it does.  The
reference method here asks less: the classes that beat neutral on the resting
face (a face read as sad or angry at rest) are lowered by just enough for
neutral to lead by ``margin`` on it, the others are left alone.  The offset is
what is peculiar to this face (its brows, its mouth at rest), so it is the same
on every photo of it: a sad face of this person still reads sad when its
sadness is more than the resting face's.

With the model's reference face (``training.reference_features``: its mean features over
its training images) the resting face is first compared with it: what sets this face at
rest apart from the model's average face is taken out of every photo of it
(``reference_offsets``), and the offsets above then make the resting face read neutral by
the margin.  Measured one person at a time, this reference is what lifts the person's other
expressions (docs/experiments/2026-12-06-rest-face-reference.md).

Stdlib, NumPy and Keras only (no ``fer_desktop``, no Qt).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from training.contract.labels import CLASS_INDEX, CLASS_NAMES, NUM_CLASSES

NEUTRAL = CLASS_INDEX["neutral"]


def last_dense(model) -> Any:
    """The model's last layer when it is a softmax Dense layer (every model this app trains)."""
    import keras

    last = model.layers[-1]
    activation = getattr(getattr(last, "activation", None), "__name__", "")
    if not isinstance(last, keras.layers.Dense) or activation != "softmax":
        raise ValueError(f"{model.name}: the last layer is not a softmax Dense layer; offsets need one")
    return last


def features(model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The inputs of the last (softmax) layer for uint8 model inputs: the features it weighs."""
    import keras
    import tensorflow as tf

    body = keras.Model(model.inputs, last_dense(model).input)

    @tf.function(reduce_retracing=True)
    def forward(x):
        return body(x, training=False)

    out = [
        forward(tf.convert_to_tensor(images[s : s + batch_size], tf.float32)).numpy()
        for s in range(0, len(images), batch_size)
    ]
    return np.concatenate(out) if out else np.zeros((0, body.output_shape[-1]), np.float32)


def head_weights(model) -> tuple[np.ndarray, np.ndarray]:
    kernel, bias = last_dense(model).get_weights()
    return kernel.astype(np.float64), bias.astype(np.float64)


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def rest_face_offsets(log_probs: np.ndarray, margin: float = 1.0) -> np.ndarray:
    """Logit offsets after which neutral leads the next class by exactly ``margin`` on the resting face.

    ``log_probs`` (N, 7): the model's log-probabilities on the resting-face photos
    (their mean is the resting face).  Two sides of one correction: classes that
    beat neutral minus ``margin`` there are lowered by their excess (a face read
    as sad at rest), and when neutral leads by more than ``margin`` neutral is
    lowered by the surplus (a face so plainly "neutral" to the model that its
    subtle expressions are read as neutral too).  Either way the resting face
    reads neutral, by a lead that a change of expression can overcome.
    """
    mean = np.asarray(log_probs, np.float64).mean(axis=0)
    others = np.delete(mean, NEUTRAL)
    offsets = -np.maximum(0.0, mean - mean[NEUTRAL] + margin)
    offsets[NEUTRAL] = -max(0.0, mean[NEUTRAL] - others.max() - margin)
    return offsets


def reference_offsets(rest_features: np.ndarray, reference: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Logit offsets that move the resting face's mean features onto the model's reference face.

    ``logits = W f + b``: taking ``d = mean(rest) - reference`` out of every feature vector
    of this face, ``W (f - d) + b``, is the bias change ``-W d``; the photos' other
    differences from the resting face (the expression) are left as they are.
    """
    shift = np.asarray(rest_features, np.float64).mean(axis=0) - np.asarray(reference, np.float64)
    return -(shift @ np.asarray(kernel, np.float64))


def rest_face_calibration(
    feats: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray,
    margin: float,
    reference: np.ndarray | None = None,
) -> np.ndarray:
    """The rest-face calibration's logit offsets from the resting face's features ``feats``: the
    move onto the ``reference`` face (none without one), then the margin offsets on the moved face."""
    log_probs = log_softmax(np.asarray(feats, np.float64) @ kernel + bias)
    moved = np.zeros(NUM_CLASSES) if reference is None else reference_offsets(feats, reference, kernel)
    return moved + rest_face_offsets(log_softmax(log_probs + moved), margin)


def fit_head(
    feats: np.ndarray,
    labels: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray,
    l2: float,
    bias_only: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """A head fitted to one person's features, held near the base's by ``l2``.

    Minimises the mean cross-entropy on the photos plus ``l2`` times the squared
    distance to the base head (``bias_only``: class offsets alone, the kernel
    kept).  Convex, so L-BFGS finds the one answer in a few dozen iterations.
    """
    from scipy.optimize import minimize

    feats = np.asarray(feats, np.float64)
    onehot = np.eye(NUM_CLASSES)[labels]
    n = len(labels)

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if bias_only:
            return kernel, theta
        return theta[: kernel.size].reshape(kernel.shape), theta[kernel.size :]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = unpack(theta)
        logp = log_softmax(feats @ w + b)
        grad_z = (np.exp(logp) - onehot) / n
        value = -float((onehot * logp).sum()) / n + l2 * (((w - kernel) ** 2).sum() + ((b - bias) ** 2).sum())
        gb = grad_z.sum(axis=0) + 2 * l2 * (b - bias)
        if bias_only:
            return value, gb
        gw = feats.T @ grad_z + 2 * l2 * (w - kernel)
        return value, np.concatenate([gw.ravel(), gb])

    start = bias.copy() if bias_only else np.concatenate([kernel.ravel(), bias])
    theta = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 200}).x
    return unpack(theta)


def with_head(model, kernel: np.ndarray, bias: np.ndarray):
    """A copy of ``model`` whose last layer has the given kernel and bias (``model`` is unchanged)."""
    from training.personalize import copy_model

    clone = copy_model(model)
    layer = last_dense(clone)
    old_kernel, old_bias = layer.get_weights()
    layer.set_weights([kernel.astype(old_kernel.dtype), bias.astype(old_bias.dtype)])
    return clone


def rest_face_model(
    base,
    images: np.ndarray,
    margin: float,
    reference: np.ndarray | None = None,
    applied: np.ndarray | None = None,
) -> tuple[Any, dict[str, Any]]:
    """A copy of ``base`` calibrated on resting-face crops, and what it did (for the card).

    The offsets are computed on the photos and their mirror images and added to the last
    layer's bias: an ordinary model, nothing else changes.  ``reference``: the base's
    reference features (``training.reference_features``); the resting face is first
    compared with it, without it only the margin offsets are set.  ``applied``: offsets an
    earlier rest-face calibration added to this base's bias; they are taken out first, so
    that calibrating a rest-face model again replaces its offsets instead of adding to them.
    """
    crops = np.concatenate([images, images[:, :, ::-1]])
    kernel, bias = head_weights(base)
    if applied is not None:
        bias = bias - applied
    feats = features(base, crops)
    log_probs = log_softmax(feats @ kernel + bias)
    offsets = rest_face_calibration(feats, kernel, bias, margin, reference)
    after = log_softmax(log_probs + offsets)
    strength = {
        "margin": margin,
        "reference": reference is not None,
        "photos": len(images),
        "offsets": {name: round(float(v), 4) for name, v in zip(CLASS_NAMES, offsets, strict=True) if v},
        "neutral_on_rest_face_before": round(float(np.exp(log_probs[:, NEUTRAL]).mean()), 4),
        "neutral_on_rest_face_after": round(float(np.exp(after[:, NEUTRAL]).mean()), 4),
    }
    if applied is not None:
        strength["replaced_earlier_offsets"] = True
    return with_head(base, kernel, bias + offsets), strength


def offsets_array(strength: dict[str, Any]) -> np.ndarray:
    """A rest-face card's ``offsets`` (non-zero classes by name) as one value per class."""
    named = strength.get("offsets", {})
    return np.array([float(named.get(name, 0.0)) for name in CLASS_NAMES])
