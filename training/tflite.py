"""A TFLite copy of a trained model, for inference without TensorFlow.

The app runs its emotion model on a TFLite runtime (LiteRT), which starts in
milliseconds where ``import tensorflow`` takes seconds: the int8 copy
(``training.quantise``) where there is one, else this float copy.  The copy
takes the app's uint8 crops as they are (a cast in front of the network, whose
first layer scales to 0..1), so it needs no normalisation metadata, and
classifies one face per call.  The card records the SHA-256 of the ``.keras`` file
the copy was made from, so a stale copy is never used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.contract import atomic
from training.contract.preprocess import INPUT_SHAPE
from training.contract.tflite_copy import file_sha256, tflite_path


def to_tflite(model) -> bytes:
    import keras
    import tensorflow as tf

    face = keras.Input(INPUT_SHAPE, batch_size=1, dtype="uint8", name="face")
    as_float = keras.layers.Lambda(lambda t: keras.ops.cast(t, "float32"), name="to_float")(face)
    wrapper = keras.Model(face, model(as_float), name=f"{model.name}_uint8")
    # The converter saves the model first and, with Keras' interactive logging on, prints every
    # captured variable's TensorSpec (dozens of lines) to stdout. Routed to absl's logger (INFO)
    # instead; the setting is per thread, so a training run elsewhere keeps its epoch lines.
    interactive = keras.config.is_interactive_logging_enabled()
    keras.config.disable_interactive_logging()
    try:
        return tf.lite.TFLiteConverter.from_keras_model(wrapper).convert()
    finally:
        if interactive:
            keras.config.enable_interactive_logging()


def write_tflite(model, keras_path: str | Path, images=None, source: str = "") -> dict[str, Any]:
    """Write ``<model>.tflite`` beside ``keras_path``; returns the card's ``tflite`` entry.

    With ``images`` (the model's training images, uint8 model inputs; ``source`` says what they
    are), also its int8 copy (``training.quantise``), recorded in the entry under ``int8``.
    """
    from training.quantise import try_write_int8

    dest = tflite_path(keras_path)
    flatbuffer = to_tflite(model)
    with atomic.atomic_path(dest) as tmp:
        tmp.write_bytes(flatbuffer)
    entry = tflite_entry(keras_path)
    int8 = try_write_int8(model, keras_path, images, source)
    if int8 is not None:
        entry["int8"] = int8
    return entry


def tflite_entry(keras_path: str | Path) -> dict[str, Any]:
    dest = tflite_path(keras_path)
    return {"file": dest.name, "sha256": file_sha256(dest), "keras_sha256": file_sha256(keras_path)}


def add_tflite_copy(keras_path: str | Path) -> dict[str, Any]:
    """Give an existing model (and its card) a current TFLite copy."""
    from training.card import write_card
    from training.contract.model_card import read_card
    from training.contract.tflite_copy import int8_entry, matching_int8
    from training.model import load_model

    card = read_card(keras_path)
    if card is None:
        raise FileNotFoundError(f"{keras_path}: no model card beside it")
    int8 = int8_entry(card)  # kept while it is current: the float copy is made anew
    card["tflite"] = write_tflite(load_model(keras_path), keras_path)
    if matching_int8(keras_path, {"tflite": {"int8": int8}}) is not None:
        card["tflite"]["int8"] = int8
    write_card(keras_path, card)
    return card["tflite"]


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        print("usage: python -m training.tflite MODEL.keras", file=sys.stderr)
        raise SystemExit(2)
    entry = add_tflite_copy(sys.argv[1])
    print(f"wrote {tflite_path(sys.argv[1])} (sha256 {entry['sha256'][:12]})")
