"""A TFLite copy of a trained model, for inference without TensorFlow.

The app runs its emotion model on MediaPipe's TFLite runtime (already loaded
for face detection), which starts in milliseconds where ``import tensorflow``
takes seconds.  The copy takes the app's uint8 crops as they are (a cast in
front of the network, whose first layer scales to 0..1), so it needs no
normalisation metadata, and classifies one face per call, as MediaPipe's
image classifier does.  The card records the SHA-256 of the ``.keras`` file
the copy was made from, so a stale copy is never used.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from training import atomic
from training.preprocess import INPUT_SHAPE


def tflite_path(keras_path: str | Path) -> Path:
    return Path(keras_path).with_suffix(".tflite")


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def to_tflite(model) -> bytes:
    import keras
    import tensorflow as tf

    face = keras.Input(INPUT_SHAPE, batch_size=1, dtype="uint8", name="face")
    as_float = keras.layers.Lambda(lambda t: keras.ops.cast(t, "float32"), name="to_float")(face)
    wrapper = keras.Model(face, model(as_float), name=f"{model.name}_uint8")
    return tf.lite.TFLiteConverter.from_keras_model(wrapper).convert()


def write_tflite(model, keras_path: str | Path) -> dict[str, Any]:
    """Write ``<model>.tflite`` beside ``keras_path``; returns the card's ``tflite`` entry."""
    dest = tflite_path(keras_path)
    flatbuffer = to_tflite(model)
    with atomic.atomic_path(dest) as tmp:
        tmp.write_bytes(flatbuffer)
    return tflite_entry(keras_path)


def tflite_entry(keras_path: str | Path) -> dict[str, Any]:
    dest = tflite_path(keras_path)
    return {"file": dest.name, "sha256": file_sha256(dest), "keras_sha256": file_sha256(keras_path)}


def matching_tflite(keras_path: str | Path, card: dict[str, Any] | None) -> Path | None:
    """The TFLite copy of ``keras_path`` if the card vouches that it is current."""
    entry = (card or {}).get("tflite") or {}
    dest = tflite_path(keras_path)
    if not entry or not dest.is_file() or entry.get("file") != dest.name:
        return None
    try:
        if file_sha256(keras_path) != entry.get("keras_sha256") or file_sha256(dest) != entry.get("sha256"):
            return None
    except OSError:
        return None
    return dest


def add_tflite_copy(keras_path: str | Path) -> dict[str, Any]:
    """Give an existing model (and its card) a current TFLite copy."""
    from training.card import read_card, write_card
    from training.model import load_model

    card = read_card(keras_path)
    if card is None:
        raise FileNotFoundError(f"{keras_path}: no model card beside it")
    card["tflite"] = write_tflite(load_model(keras_path), keras_path)
    write_card(keras_path, card)
    return card["tflite"]


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        print("usage: python -m training.tflite MODEL.keras", file=sys.stderr)
        raise SystemExit(2)
    entry = add_tflite_copy(sys.argv[1])
    print(f"wrote {tflite_path(sys.argv[1])} (sha256 {entry['sha256'][:12]})")
