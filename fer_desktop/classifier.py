"""The emotion classifier: one compiled, batched call per frame.

``model.predict`` costs ~50 ms per call here (it builds a data pipeline each
time); a ``tf.function`` with a fixed signature runs the same network in a
few milliseconds, for all faces of a frame at once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training.labels import NUM_CLASSES
from training.preprocess import INPUT_SHAPE, batch_to_model_input


class ModelLoadError(RuntimeError):
    """A model file the app refuses; the message says why, for the user."""


class EmotionClassifier:
    def __init__(self, model_path: str | Path):
        self.path = Path(model_path)
        self._model = load_checked_model(self.path)
        import tensorflow as tf

        model = self._model

        @tf.function(input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)])
        def forward(x):
            return model(x, training=False)

        self._forward = forward
        self.predict_batch(np.zeros((1, *INPUT_SHAPE), dtype=np.uint8))  # trace once, up front

    def predict_batch(self, batch: np.ndarray) -> np.ndarray:
        """(N, 96, 96, 3) uint8 -> (N, 7) float32 probabilities."""
        if len(batch) == 0:
            return np.zeros((0, NUM_CLASSES), dtype=np.float32)
        return self._forward(batch.astype(np.float32)).numpy()

    def predict(self, crops: list[np.ndarray]) -> np.ndarray:
        """Face crops (any size, BGR or gray) -> (N, 7) probabilities."""
        return self.predict_batch(batch_to_model_input(crops))


def load_checked_model(path: Path):
    """Load a ``.keras`` file safely and check it fits the app's contract."""
    if not path.is_file():
        raise ModelLoadError(f"Model file not found: {path}")
    from training.model import load_model

    try:
        model = load_model(path)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelLoadError(f"Cannot load model {path.name}: {reason}") from exc
    in_shape = tuple(model.input_shape[1:]) if hasattr(model, "input_shape") else None
    out_shape = tuple(model.output_shape[1:]) if hasattr(model, "output_shape") else None
    if in_shape != INPUT_SHAPE:
        raise ModelLoadError(f"Model {path.name} takes input {in_shape}, the app needs {INPUT_SHAPE}")
    if out_shape != (NUM_CLASSES,):
        raise ModelLoadError(f"Model {path.name} outputs {out_shape}, the app needs {NUM_CLASSES} classes")
    return model
