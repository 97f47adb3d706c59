"""The one crop -> model-input function, used by training and by the app.

The notebook this project grew from trained at 82% and validated at chance
because training and validation images took different paths.  Every image the
model sees, in training, evaluation or live inference, goes through
:func:`to_model_input`; intensity scaling lives inside the model itself
(a ``Rescaling`` layer), so there is nothing else to keep in sync.
"""

from __future__ import annotations

import cv2
import numpy as np

INPUT_SIZE = 96
INPUT_SHAPE = (INPUT_SIZE, INPUT_SIZE, 3)

# How much of the face's surroundings a crop holds: the detector's box grows by this share of
# its size on every side (``fer_desktop.pipeline.faces.crop_face``).  FER2013 frames faces loosely
# (forehead and chin included) while BlazeFace's boxes are tight, so the margin is part of
# the model contract: every model card records the margin its model expects.
CROP_MARGIN = 0.2


def preprocessing_record() -> dict:
    """What a model expects of its input, for its card: inference must feed it the same."""
    return {
        "input_size": INPUT_SIZE,
        "crop_margin": CROP_MARGIN,
        "colour": "grey, repeated in 3 channels",
        "non_square_crops": "padded by repeating the border",
    }


def to_model_input(crop: np.ndarray) -> np.ndarray:
    """Turn a face crop (gray, BGR or BGRA; any size; uint8 or uint16) into the model's input.

    FER2013 is grayscale, so colour is dropped: a colour webcam crop and a
    grayscale dataset image become the same kind of tensor.  A crop that is not
    square is padded, never stretched.  The gray channel
    is repeated three times because the model contract is 96x96x3.
    Returns uint8 of shape (96, 96, 3).
    """
    if crop.ndim not in (2, 3) or crop.size == 0:
        raise ValueError(f"expected a non-empty 2-D or 3-D image, got shape {crop.shape}")
    img = crop
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 3:
        channels = img.shape[2]
        if channels == 1:
            img = img[:, :, 0]
        elif channels == 3:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        elif channels == 4:
            img = cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY)
        else:
            raise ValueError(f"unsupported channel count {channels}")
    img = pad_to_square(img)
    if img.shape != (INPUT_SIZE, INPUT_SIZE):
        shrinking = img.shape[0] > INPUT_SIZE or img.shape[1] > INPUT_SIZE
        interp = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        img = cv2.resize(img, (INPUT_SIZE, INPUT_SIZE), interpolation=interp)
    return np.repeat(img[:, :, None], 3, axis=2)


def pad_to_square(img: np.ndarray) -> np.ndarray:
    """Extend the short side by repeating the border, so the face keeps its proportions.

    Stretching a 143x181 film crop to a square widened every face by a quarter and cost
    the shipped model 2.5 points on those crops (43.4% squashed, 45.9% padded).
    """
    height, width = img.shape[:2]
    if height == width:
        return img
    side = max(height, width)
    top, left = (side - height) // 2, (side - width) // 2
    return cv2.copyMakeBorder(img, top, side - height - top, left, side - width - left, cv2.BORDER_REPLICATE)


def batch_to_model_input(crops: list[np.ndarray]) -> np.ndarray:
    """Stack several crops into one (N, 96, 96, 3) uint8 batch."""
    if not crops:
        return np.zeros((0, *INPUT_SHAPE), dtype=np.uint8)
    return np.stack([to_model_input(c) for c in crops])
