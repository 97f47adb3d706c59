"""What Keras 3 needs to fit under TensorFlow's MultiWorkerMirroredStrategy.

Keras 3.15's TensorFlow trainer has two faults that make every multi-worker ``fit`` fail
(keras-team/keras#20585, open): it builds the model from a first batch averaged with
``strategy.reduce`` on an ``(x, y, weight)`` tuple, which that strategy cannot reduce, and it
averages each step's scalar logs (loss, accuracy) over "axis 0", which a scalar lacks.  Both
are worked around here, for multi-worker runs only; nothing changes for one machine.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from training.cluster import WorkerLostError


def build_before_fit(model, train_ds) -> None:
    """Build the model's, metrics' and optimizer's state from the dataset's shapes, then skip
    ``fit``'s own build (the one that reduces a tuple across workers)."""
    if not hasattr(model, "_symbolic_build") or not hasattr(model, "_maybe_symbolic_build"):
        raise RuntimeError(
            "this Keras version builds models differently: multi-worker training was made for "
            "Keras 3.x (Model._symbolic_build)"
        )
    model._symbolic_build(data_batch=train_ds.element_spec)
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None


@contextlib.contextmanager
def averaged_step_logs() -> Iterator[None]:
    """While fitting, average each step's scalar logs over all replicas of all workers.

    Every worker then sees the same loss and validation accuracy, so early stopping, the NaN
    guard and the checkpoint choose alike (a worker that stopped alone would leave the others
    waiting for it forever).
    """
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer as tf_trainer

    original = tf_trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return tf.nest.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return original(values, strategy, reduction)

    tf_trainer.reduce_per_replica = reduce_per_replica
    try:
        yield
    finally:
        tf_trainer.reduce_per_replica = original


@contextlib.contextmanager
def peers_reported() -> Iterator[None]:
    """A worker that stopped (crashed, killed, or refused its data) reaches the others as a
    TensorFlow error from deep inside a collective operation: say so in words instead."""
    import tensorflow as tf

    lost = (tf.errors.UnavailableError, tf.errors.AbortedError, tf.errors.CancelledError,
            tf.errors.DeadlineExceededError)  # fmt: skip
    try:
        yield
    except lost as exc:
        detail = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", exc.message or str(exc))
        detail = " ".join(detail.split())[:300]
        raise WorkerLostError(
            f"training stopped: another worker stopped or cannot be reached (see its own output). "
            f"TensorFlow said: {detail}"
        ) from None
