"""The emotion CNN: a small VGG-style network sized for CPU training.

The app's contract is a 96x96x3 input, but FER2013 faces are 48x48: a
stride-2 stem brings the grid back to 48x48 almost for free, so the network
spends its compute where the information is.  Pixel scaling is a layer of the
model, so callers feed raw 0..255 values from ``to_model_input``.
"""

from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

from training.contract.labels import NUM_CLASSES
from training.contract.model_file import check_model_file
from training.contract.preprocess import INPUT_SHAPE

# Keras' default (0.99) lets the moving statistics lag far behind fast-changing
# weights: measured here, inference-mode accuracy after two epochs was 32% against
# 52% with recalibrated statistics.  0.9 tracks within a few dozen steps.
BN_MOMENTUM = 0.9


def _conv_bn(x, filters: int, strides: int = 1, name: str = ""):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def make_model(width: int = 24, dropout: float = 0.4, hires_conv: bool = False) -> keras.Model:
    """Build the classifier; ``width`` scales every stage's channel count.

    The output is a softmax, matched by a cross-entropy loss in ``fit`` (a
    ReLU output under cross-entropy is what gave the notebook its NaN loss).
    """
    inputs = keras.Input(shape=INPUT_SHAPE, name="face")
    x = layers.Rescaling(1.0 / 255.0, name="scale")(inputs)
    x = _conv_bn(x, width, strides=2, name="stem")  # 96 -> 48
    if hires_conv:
        x = _conv_bn(x, width, name="s1a")
    x = layers.MaxPooling2D(name="pool1")(x)  # 24
    x = _conv_bn(x, width * 2, name="s2a")
    x = _conv_bn(x, width * 2, name="s2b")
    x = layers.MaxPooling2D(name="pool2")(x)  # 12
    x = _conv_bn(x, width * 4, name="s3a")
    x = _conv_bn(x, width * 4, name="s3b")
    x = layers.MaxPooling2D(name="pool3")(x)  # 6
    x = _conv_bn(x, width * 8, name="s4a")
    x = _conv_bn(x, width * 8, name="s4b")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probs", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=f"fer_vgg_w{width}")


def load_model(path: str | Path):
    """Load a checked ``.keras`` model in safe mode (no arbitrary code from the file)."""
    return keras.saving.load_model(str(check_model_file(path)), compile=False, safe_mode=True)
