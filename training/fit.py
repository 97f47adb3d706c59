"""Training: data in, best-on-validation model and model card out.

Validation is what every callback watches (the seed notebook early-stopped on
training accuracy and shipped a model at chance).  The same function runs
from ``fer-desktop train`` and from the app's Train tab; callers add their own
Keras callbacks for progress. The data side is ``training.data_prep``, the card
``training.run_card``; this module builds, fits and saves the model.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from training.card import write_card
from training.cluster import ClusterRole
from training.config import TrainConfig
from training.contract.labels import NUM_CLASSES
from training.contract.model_file import ModelFileError, check_model_file
from training.data_prep import PreparedData, class_weights, make_dataset, prepare_data
from training.run_card import FitOutcome, init_record, make_card, worker_summary

log = logging.getLogger(__name__)


def build_model(config: TrainConfig, steps_per_epoch: int):
    import keras

    from training.architectures import new_model
    from training.model import BN_MOMENTUM, load_model

    if config.init:
        try:
            model = load_model(config.init)
        except ModelFileError:
            raise
        except Exception as exc:  # Keras raises many types for a file it cannot rebuild
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ModelFileError(f"cannot load the starting model {config.init}: {reason}") from exc
        for layer in model.layers:  # models saved with Keras' default BN momentum
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = BN_MOMENTUM
    else:
        model = new_model(config.arch, config.width, config.backbone_weights)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate * 0.1,
        decay_steps=max(1, steps_per_epoch * config.epochs - steps_per_epoch),
        warmup_target=config.learning_rate,
        warmup_steps=steps_per_epoch,
        alpha=0.01,
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
        metrics=["accuracy"],
    )
    return model


def distribution_strategy(role: ClusterRole | None = None):
    """MultiWorkerMirroredStrategy when ``role`` has several workers, MirroredStrategy
    across several GPUs of one machine, the default strategy otherwise.

    Call it before any other TensorFlow operation: the multi-worker strategy sets up its
    collectives when it is created and refuses once TensorFlow's runtime has started.
    """
    import tensorflow as tf

    if role is not None and role.multi_worker:
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_physical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def strategy_name(strategy) -> str:
    """The name a user would look up (TensorFlow calls its multi-worker class CollectiveAllReduceStrategy)."""
    import tensorflow as tf

    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return "MultiWorkerMirroredStrategy"
    return type(strategy).__name__


def _tflite_copy(model, model_path: Path, calibration, source: str) -> dict[str, Any] | None:
    """The app's fast-start copies; a model that cannot be converted still runs on TensorFlow."""
    from training.tflite import write_tflite

    try:
        return write_tflite(model, model_path, calibration, source)
    except Exception as exc:  # the converter raises many types; the .keras model is what matters
        log.warning("no TFLite copy of %s (the app will run it on TensorFlow): %s", model_path, exc)
        return None


class StoppedWithoutModelError(RuntimeError):
    """Stopped by the user before any epoch finished: there is no model to keep."""


def make_callbacks(
    config: TrainConfig,
    out: Path,
    checkpoint: Path,
    data: PreparedData,
    should_stop: Callable[[], bool] | None,
    on_warning: Callable[[str], None] | None,
    extra: list | None,
) -> tuple[list, Any, Any]:
    """Validation drives checkpoint and early stopping; returns (callbacks, nan_guard, stop_request).

    The best epoch is checkpointed to ``checkpoint`` (outside ``out``): the model folder holds
    one file set, the final model's.
    """
    import keras

    from training.callbacks import ChanceWarning, NanGuard, StopRequest, TimeBudget

    majority = max(data.val.class_counts().values()) / len(data.val)
    nan_guard = NanGuard()
    stop_request = StopRequest(should_stop or (lambda: False))
    callbacks = [
        nan_guard,
        stop_request,
        keras.callbacks.ModelCheckpoint(checkpoint, monitor="val_accuracy", mode="max", save_best_only=True),
        keras.callbacks.EarlyStopping(
            monitor="val_accuracy", mode="max", patience=config.patience, restore_best_weights=True
        ),
        keras.callbacks.CSVLogger(str(out / "history.csv")),
        ChanceWarning(chance=max(1 / NUM_CLASSES, majority), notify=on_warning),
        *(extra or []),
    ]
    if config.max_minutes:
        callbacks.append(TimeBudget(config.max_minutes * 60))
    return callbacks, nan_guard, stop_request


def fit_model(model, train_ds, val_ds, config: TrainConfig, callbacks: list) -> dict[str, list[float]]:
    history = model.fit(
        train_ds, validation_data=val_ds, epochs=config.epochs, callbacks=callbacks, verbose=2, shuffle=False
    )
    return history.history


def best_checkpoint(outcome: FitOutcome, best_path: Path):
    """The best epoch's model, or a clear error for a NaN loss or a stop before any epoch ended."""
    losses = outcome.history.get("loss", [])
    if outcome.nan_guard.triggered or not np.all(np.isfinite(losses)):
        raise FloatingPointError(
            f"training stopped in epoch {outcome.nan_guard.epoch + 1}: the loss became NaN or infinite "
            "(try a lower learning rate)"
        )
    if not best_path.exists():
        raise StoppedWithoutModelError("training stopped before the first epoch ended: no model was saved")
    from training.model import load_model

    return load_model(best_path)


def evaluate_model(model, data: PreparedData, compare_with: str | Path | None) -> tuple[dict, dict | None]:
    """Validation and test figures (tests also with mirror TTA), and the baseline on the same data."""
    from training.evaluate import evaluate_arrays
    from training.model import load_model

    evaluation = {"val": evaluate_arrays(model, data.val.images, data.val.labels)}
    for name, split in data.tests.items():
        evaluation[name] = evaluate_arrays(model, split.images, split.labels)
        evaluation[f"{name}_tta"] = evaluate_arrays(model, split.images, split.labels, tta=True)
    baseline = None
    if compare_with:
        baseline = {
            "model": str(compare_with),
            "val": evaluate_arrays(load_model(compare_with), data.val.images, data.val.labels),
        }
    return evaluation, baseline


def save_model(model, model_path: Path, calibration=None, source: str = "") -> dict[str, Any] | None:
    """The ``.keras`` file (atomically) and its TFLite copies; returns the copies' card entry.

    ``calibration``: the model's training images (uint8), for its int8 copy (``source`` says
    what they are); without them only the float copy is written.
    """
    from training.contract.atomic import atomic_path

    with atomic_path(model_path) as tmp:
        model.save(tmp)
    return _tflite_copy(model, model_path, calibration, source)


def train(
    config: TrainConfig,
    callbacks: list | None = None,
    should_stop: Callable[[], bool] | None = None,
    data: PreparedData | None = None,
    compare_with: str | Path | None = None,
    on_warning: Callable[[str], None] | None = None,
    role: ClusterRole | None = None,
) -> dict[str, Any]:
    """Run one training; returns the model card (also written beside the model).

    ``should_stop`` is polled after every batch (the app's Stop button); the
    best checkpoint so far becomes the result.  ``compare_with`` is a model
    evaluated on the same validation data, for a side-by-side comparison.

    ``role`` (``cluster.cluster_role()``, which reads ``TF_CONFIG``; only ``fer-desktop
    train`` passes it, so a ``TF_CONFIG`` left in a shell never makes the app's Train tab
    wait for peers): with several workers, every worker runs this with the same
    arguments; only the chief writes ``config.out``, the others train into a
    scratch folder removed at the end and return ``worker_summary``'s short record.
    """
    import keras
    import tensorflow as tf

    role = role or ClusterRole()
    if role.multi_worker and config.max_minutes:
        raise ValueError("a time budget is not supported with several workers (each has its own clock)")
    strategy = distribution_strategy(role)  # first: the multi-worker strategy precedes any TF op
    keras.utils.set_random_seed(config.seed)
    started = time.time()
    if config.init:
        check_model_file(config.init)  # before minutes of dataset loading
    init = init_record(config.init)  # hashed before training: the file may be replaced meanwhile
    data = data if data is not None else prepare_data(config, on_warning)
    log.info("train %s; val %s", data.train.class_counts(), data.val.class_counts())
    run = _TrainingRun(config, data, strategy, should_stop, on_warning, callbacks, started)
    if not role.is_chief:
        # The standard Keras pattern: every worker saves checkpoints (saving may take part in
        # collectives), the non-chief ones into a folder nobody keeps.
        with tempfile.TemporaryDirectory(prefix="fer-desktop-worker-") as scratch:
            outcome, _ = run.fit(Path(scratch), Path(scratch) / "best.keras")
            best_checkpoint(outcome, Path(scratch) / "best.keras")
        tf.keras.backend.clear_session()
        return worker_summary(role, outcome)
    out = Path(config.out)
    # A fresh checkpoint folder per run: an earlier run's checkpoint can never pass for this one's,
    # and the model folder holds one file set, the final model's.
    with tempfile.TemporaryDirectory(prefix="fer-train-checkpoint-") as ckpt_dir:
        best_path = Path(ckpt_dir) / "best.keras"
        outcome, weights = run.fit(out, best_path)
        model = best_checkpoint(outcome, best_path)
    evaluation, baseline = evaluate_model(model, data, compare_with)
    model_path = out / "model.keras"
    lite = save_model(model, model_path, data.train.images, f"training images ({data.source})")
    card = make_card(config, model, model_path, data, outcome, weights, init, evaluation, baseline, lite)
    card.update(_reference(model, data))
    card["distribution"] = {
        "strategy": strategy_name(strategy),
        "workers": role.workers,
        "replicas": int(strategy.num_replicas_in_sync),
    }
    write_card(model_path, card)
    tf.keras.backend.clear_session()
    return card


def _reference(model, data: PreparedData) -> dict[str, Any]:
    """The card's ``reference_features`` (for rest-face calibration), where the model ends in a
    softmax Dense layer; nothing otherwise."""
    from training.reference_features import CARD_KEY, reference_record

    try:
        return {CARD_KEY: reference_record(model, data.train.images, f"training images ({data.source})")}
    except ValueError:  # no softmax Dense layer last: no rest-face reference for it
        return {}


@dataclass
class _TrainingRun:
    """What one call of ``train`` fits with, so the chief and the other workers fit alike."""

    config: TrainConfig
    data: PreparedData
    strategy: Any
    should_stop: Callable[[], bool] | None
    on_warning: Callable[[str], None] | None
    callbacks: list | None
    started: float

    def fit(self, out: Path, checkpoint: Path) -> tuple[FitOutcome, dict[int, float]]:
        """Fit with the history in ``out`` and the best epoch in ``checkpoint``; returns the
        outcome and class weights."""
        import tensorflow as tf

        from training import multi_worker as multi_worker_fixes

        config, data = self.config, self.data
        multi_worker = isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy)
        out.mkdir(parents=True, exist_ok=True)
        # Earlier versions left their checkpoint beside the model: never keep one beside another run's.
        (out / "best.keras").unlink(missing_ok=True)
        if self.should_stop is not None and self.should_stop():  # Stop pressed while the dataset loaded
            raise StoppedWithoutModelError("training stopped before it began: no model was saved")
        weights = class_weights(data.train.labels, config.class_weight_power)
        train_ds = make_dataset(data.train, config, True, weights)
        val_ds = make_dataset(data.val, config, False, None)
        cbs, nan_guard, stop_request = make_callbacks(
            config, out, checkpoint, data, self.should_stop, self.on_warning, self.callbacks
        )
        if not multi_worker:
            with self.strategy.scope():
                model = build_model(config, steps_per_epoch=int(np.ceil(len(data.train) / config.batch_size)))
            history = fit_model(model, train_ds, val_ds, config, cbs)
        else:
            with multi_worker_fixes.peers_reported():
                with self.strategy.scope():
                    model = build_model(config, int(np.ceil(len(data.train) / config.batch_size)))
                    multi_worker_fixes.build_before_fit(model, train_ds)
                with multi_worker_fixes.averaged_step_logs():
                    history = fit_model(model, train_ds, val_ds, config, cbs)
        return FitOutcome(history, nan_guard, stop_request, time.time() - self.started), weights
