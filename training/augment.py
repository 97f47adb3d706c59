"""Training-time augmentation: make FER2013's faces look like what the app feeds the model.

FER2013 is registered, evenly lit, 48x48 grey faces; the app sees webcam and film
faces cropped by BlazeFace (framing varies with the detector), in every light, at
every resolution.  A model trained on FER2013 alone read most such faces as "sad".
Two profiles:

* ``basic``: flips and small geometric jitter, the shipped model's first recipe;
* ``app``: the framing jitter of ``crop_face`` (shift, a wider zoom range, rotation
  up to 15 degrees), lighting (brightness, contrast, gamma), resolution (blur or a
  down-and-up scale) and sensor noise.

Imported only to train: it loads TensorFlow.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import layers

AUGMENTATIONS = ("basic", "app")


def make_augmenter(seed: int, random_erasing: float = 0.0, profile: str = "basic"):
    """A Keras pipeline over float batches in 0..255 (the model's Rescaling comes after)."""
    if profile not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {profile!r}; expected one of {', '.join(AUGMENTATIONS)}")
    app = profile == "app"
    shift = 0.1 if app else 0.08
    steps = [
        layers.RandomFlip("horizontal", seed=seed),
        layers.RandomRotation(0.042 if app else 0.04, fill_mode="reflect", seed=seed + 1),
        layers.RandomTranslation(shift, shift, fill_mode="reflect", seed=seed + 2),
        # Negative zooms in: detector boxes and hand-made crops are often tighter than FER2013's framing.
        layers.RandomZoom((-0.25, 0.15) if app else 0.1, fill_mode="reflect", seed=seed + 3),
    ]
    if app:
        steps.append(PhotometricJitter(seed=seed + 5))
    if random_erasing > 0:
        steps.append(
            # A (p, p) factor: a single float would draw each image's probability from [0, p].
            layers.RandomErasing(
                factor=(random_erasing, random_erasing),
                scale=(0.02, 0.2),
                value_range=(0, 255),
                seed=seed + 4,
            )
        )
    return keras.Sequential(steps, name="augment")


class PhotometricJitter(layers.Layer):
    """Light, resolution and noise of real cameras, per image, on 0..255 float batches.

    Gamma and contrast change the look of skin and shadows that separate "sad" from
    "neutral"; the down-and-up scale reproduces small faces far from the camera.
    """

    def __init__(
        self,
        brightness: float = 30.0,
        contrast: tuple[float, float] = (0.6, 1.4),
        gamma: tuple[float, float] = (0.6, 1.6),
        rescale_p: float = 0.3,
        min_scale: float = 0.3,
        noise_std: float = 6.0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.brightness, self.contrast, self.gamma = brightness, contrast, gamma
        self.rescale_p, self.min_scale, self.noise_std = rescale_p, min_scale, noise_std
        self.seed = seed

    def call(self, images, training: bool = True):
        if not training:
            return images
        x = tf.cast(images, tf.float32)
        n = tf.shape(x)[0]
        size = tf.shape(x)[1:3]
        per_image = (n, 1, 1, 1)
        x = x / 255.0
        x = tf.pow(tf.clip_by_value(x, 1e-4, 1.0), _log_uniform(per_image, *self.gamma))
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        x = (x - mean) * tf.random.uniform(per_image, *self.contrast) + mean
        x = x * 255.0 + tf.random.uniform(per_image, -self.brightness, self.brightness)
        # One scale per batch (resize wants one size), applied to a random share of its images.
        scale = tf.random.uniform((), self.min_scale, 1.0)
        small = tf.maximum(tf.cast(tf.cast(size, tf.float32) * scale, tf.int32), 8)
        rescaled = tf.image.resize(tf.image.resize(x, small, antialias=True), size)
        x = tf.where(tf.random.uniform(per_image) < self.rescale_p, rescaled, x)
        x = x + tf.random.normal(tf.shape(x), stddev=1.0) * tf.random.uniform(per_image, 0.0, self.noise_std)
        # Keep the image grey: the model's contract repeats one channel three times.
        x = tf.repeat(tf.reduce_mean(x, axis=-1, keepdims=True), 3, axis=-1)
        return tf.clip_by_value(x, 0.0, 255.0)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "brightness": self.brightness,
            "contrast": self.contrast,
            "gamma": self.gamma,
            "rescale_p": self.rescale_p,
            "min_scale": self.min_scale,
            "noise_std": self.noise_std,
            "seed": self.seed,
        }


def _log_uniform(shape, low: float, high: float):
    """Gamma drawn so that darkening and brightening are equally likely."""
    return tf.exp(tf.random.uniform(shape, math.log(low), math.log(high)))
