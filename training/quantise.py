"""An int8 copy of a trained model: a quarter of the size, and the app's fastest runtime.

    python -m training.quantise MODEL.keras DATA [--images 300]

Post-training full-integer quantisation: weights int8 per output channel, activations
int8 per tensor, with ranges calibrated on a few hundred of the model's own training
images (``DATA``: a FER2013 folder or csv, or class folders).  The copy takes the app's
uint8 crops as they are (its input is quantised with scale 1 and zero point 0, which the
run-time check insists on) and returns float32 probabilities.  The card records it under
``tflite.int8`` with its SHA-256 and the ``.keras`` file's, so a stale copy is never used;
the ``.keras`` model stays the source and the fallback.

Training (``training.fit``) and personal calibration (``training.personalize``) write the
copy beside every model they save, calibrated on their own training images (a person's
few photos with augmented copies).
"""

from __future__ import annotations

import argparse
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from training.contract import atomic
from training.contract.preprocess import INPUT_SHAPE
from training.contract.tflite_copy import file_sha256, int8_path, shape_problem

log = logging.getLogger(__name__)

CALIBRATION_IMAGES = 300
SCHEME = (
    "post-training full-integer int8: weights per channel, activations per tensor; "
    "uint8 pixels in (scale 1), float32 probabilities out"
)


def calibration_images(images: np.ndarray, n: int = CALIBRATION_IMAGES, seed: int = 0) -> np.ndarray:
    """``n`` model inputs to calibrate on: a random sample of ``images``, topped up with
    augmented copies (mirrored, brighter or darker, shifted, scaled) when there are fewer.

    One copy of the first image is stretched to the full 0..255 range, so the input's
    calibrated range is exactly the pixel range (scale 1, zero point 0).
    """
    import cv2

    images = np.asarray(images, dtype=np.uint8)
    if images.ndim != 4 or images.shape[1:] != INPUT_SHAPE or len(images) == 0:
        raise ValueError(f"calibration needs (N, 96, 96, 3) uint8 images, got {images.shape}")
    rng = np.random.default_rng(seed)
    picked = list(images[np.sort(rng.permutation(len(images))[: n - 1])])
    while len(picked) < n - 1:
        img = images[rng.integers(len(images))].astype(np.float32)
        if rng.random() < 0.5:
            img = img[:, ::-1]
        img = img * rng.uniform(0.7, 1.3) + rng.uniform(-30, 30)
        size = INPUT_SHAPE[0]
        matrix = cv2.getRotationMatrix2D((size / 2, size / 2), rng.uniform(-10, 10), rng.uniform(0.9, 1.1))
        matrix[:, 2] += rng.uniform(-5, 5, 2)
        img = cv2.warpAffine(np.ascontiguousarray(img), matrix, (size, size), borderMode=cv2.BORDER_REPLICATE)
        picked.append(np.clip(img, 0, 255).astype(np.uint8))
    stretched = cv2.normalize(images[0], None, 0, 255, cv2.NORM_MINMAX)
    if stretched.min() != 0 or stretched.max() != 255:  # a flat image: any two pixels will do
        stretched = images[0].copy()
        stretched.flat[0], stretched.flat[-1] = 0, 255
    return np.stack([*picked, stretched])


def to_int8_tflite(model, calibration: np.ndarray) -> bytes:
    """The full-integer int8 flatbuffer of ``model``, calibrated on ``calibration`` (uint8)."""
    import keras
    import tensorflow as tf

    face = keras.Input(INPUT_SHAPE, batch_size=1, dtype="float32", name="face")
    wrapper = keras.Model(face, model(face), name=f"{model.name}_int8")

    def representative():
        for img in calibration:
            yield [img[None].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(wrapper)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.uint8
    converter.inference_output_type = tf.float32
    interactive = keras.config.is_interactive_logging_enabled()
    keras.config.disable_interactive_logging()  # the converter's TensorSpec listing (training.tflite)
    try:
        with warnings.catch_warnings():  # "Statistics for quantized inputs were expected": calibrated
            warnings.simplefilter("ignore", UserWarning)
            flatbuffer = converter.convert()
    finally:
        if interactive:
            keras.config.enable_interactive_logging()
    problem = shape_problem(flatbuffer)
    if problem:
        raise ValueError(f"the int8 copy does not fit the app: {problem}")
    return flatbuffer


def write_int8(model, keras_path: str | Path, images: np.ndarray, source: str) -> dict[str, Any]:
    """Write ``<model>.int8.tflite`` beside ``keras_path``; returns the card's ``tflite.int8`` entry.

    ``images``: the model's training images (uint8 model inputs); ``source`` says what they are.
    """
    calibration = calibration_images(images)
    flatbuffer = to_int8_tflite(model, calibration)
    dest = int8_path(keras_path)
    with atomic.atomic_path(dest) as tmp:
        tmp.write_bytes(flatbuffer)
    calibrated_on = {
        "source": source,
        "images": len(calibration),
        "distinct": min(len(images), len(calibration) - 1),
    }
    return int8_record(keras_path, calibrated_on)


def int8_record(keras_path: str | Path, calibration: dict[str, Any]) -> dict[str, Any]:
    dest = int8_path(keras_path)
    return {
        "file": dest.name,
        "sha256": file_sha256(dest),
        "keras_sha256": file_sha256(keras_path),
        "bytes": dest.stat().st_size,
        "scheme": SCHEME,
        "calibration": calibration,
    }


def try_write_int8(
    model, keras_path: str | Path, images: np.ndarray | None, source: str
) -> dict[str, Any] | None:
    """:func:`write_int8`, or None (logged) where it fails: the float copy and the model still serve."""
    if images is None or len(images) == 0:
        return None
    try:
        return write_int8(model, keras_path, images, source)
    except Exception as exc:  # the converter raises many types; the .keras model is what matters
        log.warning("no int8 copy of %s (the app will run its float copy): %s", keras_path, exc)
        return None


def sample_dataset(
    data: str | Path, split: str = "train", n: int = CALIBRATION_IMAGES, seed: int = 0
) -> np.ndarray:
    """``n`` images of a dataset's split, decoded as training decodes them (a csv is read whole)."""
    from training import datasets
    from training.contract.photos import read_photo
    from training.contract.preprocess import to_model_input

    data = Path(data)
    if data.is_file():
        return datasets.load_any(data, split).images
    split = split if datasets.is_kaggle_layout(data) else "all"
    files = datasets.labelled_files(data, split)
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.permutation(len(files))[:n])
    return np.stack([to_model_input(read_photo(files[i][0])) for i in picked])


def add_int8_copy(keras_path: str | Path, data: str | Path, split: str = "train") -> dict[str, Any]:
    """Give an existing model (and its card) a current int8 copy calibrated on ``data``."""
    from training.card import write_card
    from training.contract.model_card import read_card
    from training.model import load_model

    card = read_card(keras_path)
    if card is None or not isinstance(card.get("tflite"), dict):
        raise FileNotFoundError(f"{keras_path}: no model card with a TFLite entry beside it")
    images = sample_dataset(data, split)
    card["tflite"]["int8"] = write_int8(
        load_model(keras_path), keras_path, images, f"{Path(data).name} ({split})"
    )
    write_card(keras_path, card)
    return card["tflite"]["int8"]


def model_data_parser(description: str, split_use: str) -> argparse.ArgumentParser:
    """The command line of a tool that adds a record to a model's card from its training data
    (this module's int8 copy, ``training.reference_features``)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", type=Path, help="a .keras model with a card")
    parser.add_argument("data", type=Path, help="its training data: FER2013 folder or csv, or class folders")
    parser.add_argument("--split", default="train", help=f"the split to {split_use} (default train)")
    return parser


def main() -> int:
    args = model_data_parser(__doc__, "calibrate on").parse_args()
    entry = add_int8_copy(args.model, args.data, args.split)
    print(f"wrote {int8_path(args.model)} ({entry['bytes'] / 1e6:.2f} MB, sha256 {entry['sha256'][:12]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
