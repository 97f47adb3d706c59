"""MediaPipe and TensorFlow, imported once, where they are needed.

MediaPipe's Python tasks import TensorFlow whenever it is installed, only for
the decorators of their API-doc generator
(``mediapipe/tasks/python/core/optional_dependencies.py`` falls back to a
no-op when the import fails).  That import costs 3-5 s of start-up, more than
everything else the live pipeline loads, and the app's inference runs on
MediaPipe's own TFLite runtime.  So MediaPipe is imported with TensorFlow
hidden; TensorFlow itself stays importable afterwards, for training and for
models that have no TFLite copy.

One lock serialises both imports: a thread importing TensorFlow while
another hides it would otherwise fail.
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType

_lock = threading.Lock()


def import_mediapipe() -> ModuleType:
    """``mediapipe`` with its vision tasks loaded, TensorFlow not imported for it."""
    with _lock:
        hide = "tensorflow" not in sys.modules
        if hide:
            sys.modules["tensorflow"] = None  # makes ``import tensorflow`` raise ModuleNotFoundError
        try:
            import mediapipe
            from mediapipe.tasks.python.vision import face_detector, image_classifier  # noqa: F401
        finally:
            if hide and sys.modules.get("tensorflow", 0) is None:
                del sys.modules["tensorflow"]
    return mediapipe


def import_tensorflow(threads: int | None = None) -> ModuleType:
    """``tensorflow``; ``threads`` caps its thread pools if it was not initialised yet."""
    with _lock:
        import tensorflow as tf
    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # already initialised in this process
            pass
    return tf
