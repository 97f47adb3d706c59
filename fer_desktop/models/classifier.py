"""The emotion classifier, on the fastest runtime a model file allows.

A model with a current TFLite copy (written by training, recorded in its card)
runs on LiteRT, TensorFlow Lite's maintained runtime (``ai-edge-litert``; where it
is not installed, MediaPipe's own TFLite runtime): no TensorFlow import, so the
app and the headless commands start seconds sooner.  The int8 copy
(``training.quantise``) comes first, then the float copy.  Any other ``.keras``
file runs on TensorFlow as one compiled, batched ``tf.function`` per frame
(``model.predict`` builds a data pipeline on every call, ~50 ms here).  The float
copy returns the Keras model's probabilities (tested to 1e-5), the int8 copy
nearly so (tested: the same emotion for nearly every face).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from training.contract.labels import NUM_CLASSES
from training.contract.preprocess import INPUT_SHAPE, batch_to_model_input

log = logging.getLogger(__name__)

# EmotionClassifier.runtime: the model's float TFLite copy, its int8 copy, or the .keras file.
TFLITE, TFLITE_INT8, TENSORFLOW = "tflite", "tflite-int8", "tensorflow"


class ModelLoadError(RuntimeError):
    """A model file the app refuses; the message says why, for the user."""


class EmotionClassifier(Protocol):
    path: Path
    runtime: str  # TFLITE, TFLITE_INT8 or TENSORFLOW
    fallback_reason: str | None  # why a faster copy was passed over, for the user (None: none was)

    def predict_batch(self, batch: np.ndarray) -> np.ndarray:
        """(N, 96, 96, 3) uint8 -> (N, 7) float32 probabilities."""

    def predict(self, crops: list[np.ndarray]) -> np.ndarray:
        """Face crops (any size, BGR or gray) -> (N, 7) probabilities."""

    def close(self) -> None: ...


def open_classifier(model_path: str | Path, tf_threads: int | None = None) -> EmotionClassifier:
    """The classifier for a ``.keras`` file: its int8 copy, else its float TFLite copy, when
    current, else TensorFlow.

    Only a card in a folder the app writes (the bundled assets, the user's models) may vouch
    for a TFLite copy: a card that arrives beside a ``--model`` file could name any network.
    ``tf_threads`` caps TensorFlow's thread pools when the TensorFlow runtime is used.  Passing
    over a copy the card vouches for (missing, stale, unreadable) is logged as a warning and
    recorded in ``fallback_reason``; a model with no card or no copies is simply run on TensorFlow.
    """
    from fer_desktop.paths import is_app_model_location
    from training.contract.model_card import read_card
    from training.contract.tflite_copy import best_copy

    path = checked_model_file(Path(model_path))
    if not is_app_model_location(path):
        return KerasClassifier(path, tf_threads)
    lite, kind, problems = best_copy(path, read_card(path))
    # "records no such copy": a model made before int8 copies (or one that could not be converted).
    passed_over = [p for p in problems if "records no such copy" not in p]
    reason = None
    if passed_over:
        runs_on = "its float TFLite copy" if kind == "float" else "TensorFlow (slower to start)"
        reason = f"{path.name}: {'; '.join(passed_over)}. Running on {runs_on}."
        log.warning("%s", reason)
    if lite is not None:
        classifier = lite_classifier(path, lite, TFLITE_INT8 if kind == "int8" else TFLITE)
    else:
        classifier = KerasClassifier(path, tf_threads)
    classifier.fallback_reason = reason
    return classifier


def lite_classifier(model_path: Path, tflite_file: Path, runtime: str = TFLITE) -> EmotionClassifier:
    """A TFLite file on LiteRT, or on MediaPipe's runtime where LiteRT is not installed."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return LiteClassifier(model_path, tflite_file, runtime)
    return LiteRTClassifier(model_path, tflite_file, runtime)


def checked_model_file(path: Path) -> Path:
    """``path`` if it is an intact ``.keras`` archive; ModelLoadError saying what is wrong if not."""
    from training.contract.model_file import ModelFileError, check_model_file

    try:
        return check_model_file(path)
    except ModelFileError as exc:
        raise ModelLoadError(f"Cannot load model: {exc}") from exc


def sums_to_one(probs: np.ndarray) -> np.ndarray:
    """Each row divided by its sum: the int8 copy's probabilities come in steps of 1/256, so
    they may sum to 1 +- 0.01 (a float copy's sum is 1 to rounding and stays as it is)."""
    sums = probs.sum(axis=1, keepdims=True)
    return np.divide(probs, sums, out=probs, where=sums > 0)


class _BatchFromCrops:
    def predict(self, crops: list[np.ndarray]) -> np.ndarray:
        return self.predict_batch(batch_to_model_input(crops))


# TensorFlow models are traced and called under one lock: the Live worker, a labelling run and a
# model loading in the background may otherwise enter TensorFlow's function machinery at once, and
# a stress run of the GUI hung there for good (a tf.function's own lock never released).
_TENSORFLOW_CALLS = threading.RLock()


class KerasClassifier(_BatchFromCrops):
    runtime = TENSORFLOW
    fallback_reason: str | None = None

    def __init__(self, model_path: str | Path, tf_threads: int | None = None):
        from fer_desktop.runtime_imports import import_tensorflow

        self.path = Path(model_path)
        tf = import_tensorflow(tf_threads)
        with _TENSORFLOW_CALLS:
            model = load_checked_model(self.path)

        @tf.function(input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)])
        def forward(x):
            return model(x, training=False)

        self._forward = forward
        self.predict_batch(np.zeros((1, *INPUT_SHAPE), dtype=np.uint8))  # trace once, up front

    def predict_batch(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) == 0:
            return np.zeros((0, NUM_CLASSES), dtype=np.float32)
        with _TENSORFLOW_CALLS:
            return self._forward(batch.astype(np.float32)).numpy()

    def close(self) -> None:
        pass


class LiteRTClassifier(_BatchFromCrops):
    """LiteRT's interpreter on a TFLite copy, one face per call, on one thread.

    One thread: a face is about a millisecond of work, and the video pipeline already runs
    decoding, detection and classification on threads of their own.
    """

    fallback_reason: str | None = None

    def __init__(self, model_path: str | Path, tflite_file: str | Path, runtime: str = TFLITE):
        from ai_edge_litert.interpreter import Interpreter

        self.path, self.runtime, self.tflite_file = Path(model_path), runtime, Path(tflite_file)
        self._lock = threading.Lock()  # an interpreter runs one call at a time
        try:
            self._classifier = Interpreter(model_content=self.tflite_file.read_bytes(), num_threads=1)
            self._classifier.allocate_tensors()
        except (OSError, RuntimeError, ValueError) as exc:
            raise ModelLoadError(f"Cannot load {self.tflite_file.name}: {exc}") from exc
        self._input = self._classifier.get_input_details()[0]["index"]
        output = self._classifier.get_output_details()[0]
        if tuple(output["shape"][-1:]) != (NUM_CLASSES,):
            raise ModelLoadError(f"{self.path.name}: TFLite copy gives {output['shape']} outputs")
        self._output = output["index"]
        self.predict_batch(np.zeros((1, *INPUT_SHAPE), dtype=np.uint8))

    def predict_batch(self, batch: np.ndarray) -> np.ndarray:
        probs = np.zeros((len(batch), NUM_CLASSES), dtype=np.float32)
        for i, crop in enumerate(batch):
            with self._lock:
                if self._classifier is None:
                    raise RuntimeError(f"{self.path.name}: the classifier was closed")
                self._classifier.set_tensor(self._input, np.ascontiguousarray(crop, dtype=np.uint8)[None])
                self._classifier.invoke()
                probs[i] = self._classifier.get_tensor(self._output).reshape(-1)
        return sums_to_one(probs)

    def close(self) -> None:
        with self._lock:
            self._classifier = None


class LiteClassifier(_BatchFromCrops):
    """MediaPipe's image classifier on the model's TFLite copy, one face per call."""

    fallback_reason: str | None = None

    def __init__(self, model_path: str | Path, tflite_file: str | Path, runtime: str = TFLITE):
        from fer_desktop.runtime_imports import import_mediapipe

        self.path, self.runtime, self.tflite_file = Path(model_path), runtime, Path(tflite_file)
        mp = import_mediapipe()
        from mediapipe.tasks.python.core.base_options import BaseOptions
        from mediapipe.tasks.python.vision import image_classifier

        self._mp = mp
        # The Live worker and a labelling run may share one classifier; MediaPipe's graph
        # takes one call at a time, and close() must not run in the middle of one.
        self._lock = threading.Lock()
        options = image_classifier.ImageClassifierOptions(
            base_options=BaseOptions(model_asset_buffer=Path(tflite_file).read_bytes()),
            max_results=-1,
        )
        try:
            self._classifier = image_classifier.ImageClassifier.create_from_options(options)
        except Exception as exc:
            raise ModelLoadError(f"Cannot load {Path(tflite_file).name}: {exc}") from exc
        self.predict_batch(np.zeros((1, *INPUT_SHAPE), dtype=np.uint8))  # checks the output size

    def predict_batch(self, batch: np.ndarray) -> np.ndarray:
        probs = np.zeros((len(batch), NUM_CLASSES), dtype=np.float32)
        for row, crop in zip(probs, batch, strict=True):
            image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(crop))
            with self._lock:
                if self._classifier is None:
                    raise RuntimeError(f"{self.path.name}: the classifier was closed")
                categories = self._classifier.classify(image).classifications[0].categories
            if len(categories) != NUM_CLASSES:
                raise ModelLoadError(f"{self.path.name}: TFLite copy gives {len(categories)} classes")
            for category in categories:
                row[category.index] = category.score
        return sums_to_one(probs)

    def close(self) -> None:
        with self._lock:
            if self._classifier is not None:
                self._classifier.close()
                self._classifier = None


def load_checked_model(path: Path):
    """Load a ``.keras`` file safely and check it fits the app's contract."""
    checked_model_file(path)
    from fer_desktop.runtime_imports import import_tensorflow

    import_tensorflow()  # under the import lock, before Keras imports it
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
