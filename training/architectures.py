"""The architectures ``train --arch`` can build from scratch.

``vgg`` is the project's own network (:func:`training.model.make_model`).
``efficientnetb2`` is the seed notebook's: Keras' EfficientNetB2 body without its
top, followed by the notebook's head (a 3x3 convolution with 128 filters, global
average pooling, a 128-unit dense layer, dropout 0.3 and a 7-way softmax).  It is
kept so the seed's experiment can be rerun with this project's data handling
and validation, not because it suits a CPU.

Input range: like every model of the app, it takes raw 0..255 pixels (the
96x96x3 uint8 output of ``to_model_input``).  EfficientNet in Keras carries its
own scaling in front of the body: ``Rescaling(1/255)`` then a ``Normalization``
layer.  With ``weights=None`` that Normalization layer is not adapted (mean 0,
variance 1, i.e. the identity), so the body sees 0..1, and no extra
``Rescaling`` layer is added: a second 1/255 would squash the input to 0..0.004.
With a local weights file, the Normalization statistics come from the file; note
that Keras adds its extra ImageNet standard-deviation correction only for
``weights="imagenet"`` (which downloads, so it is never used here).
"""

from __future__ import annotations

from pathlib import Path

ARCHITECTURES = ("vgg", "efficientnetb2")


def make_efficientnetb2(weights: str | Path | None = None):
    """The seed notebook's EfficientNetB2 model, with a softmax output.

    ``weights`` is a local weights file for the body (e.g. ImageNet ``notop``
    weights saved earlier); nothing is ever downloaded.
    """
    import keras
    from keras import layers

    from training.contract.labels import NUM_CLASSES
    from training.contract.preprocess import INPUT_SHAPE
    from training.model import BN_MOMENTUM

    if weights is not None and not Path(weights).is_file():
        raise FileNotFoundError(f"backbone weights file not found: {weights}")
    body = keras.applications.EfficientNetB2(
        include_top=False, weights=None if weights is None else str(weights), input_shape=INPUT_SHAPE
    )
    for layer in body.layers:
        # Keras' default momentum (0.99) leaves inference-mode statistics far behind the
        # weights in short runs (see training.model.BN_MOMENTUM).
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = BN_MOMENTUM
    inputs = keras.Input(shape=INPUT_SHAPE, name="face")
    x = body(inputs)
    x = layers.Conv2D(128, 3, padding="same", activation="relu", name="head_conv")(x)
    x = layers.GlobalAveragePooling2D(name="head_gap")(x)
    x = layers.Dense(128, activation="relu", name="head_dense")(x)
    x = layers.Dropout(0.3, name="head_dropout")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probs", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="fer_efficientnetb2")


def new_model(arch: str, width: int = 24, weights: str | Path | None = None):
    """A freshly initialised model of ``arch`` (one of :data:`ARCHITECTURES`)."""
    if arch == "vgg":
        if weights is not None:
            raise ValueError("--weights is for the efficientnetb2 body only")
        from training.model import make_model

        return make_model(width=width)
    if arch == "efficientnetb2":
        return make_efficientnetb2(weights)
    raise ValueError(f"unknown architecture {arch!r}; expected one of {', '.join(ARCHITECTURES)}")
