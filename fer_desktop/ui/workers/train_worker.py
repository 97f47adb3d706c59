"""Runs ``training.fit.train`` on a worker thread; a Keras callback only emits signals."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from fer_desktop.ui.workers.base import Worker
from training.config import TrainConfig


class TrainSignals(QObject):
    epoch_ended = Signal(int, dict)  # epoch (1-based), logs
    batch_progress = Signal(int, int, float)  # step, steps per epoch, seconds per step
    warning = Signal(str)


def progress_callback(signals: TrainSignals, steps: int):
    """A Keras callback that forwards progress to Qt signals; it holds no widget and no logic.

    Built on demand so that opening the app does not import Keras (seconds of start-up).
    """
    import keras

    epoch_start = [time.monotonic()]

    def on_epoch_begin(epoch: int, logs=None) -> None:
        epoch_start[0] = time.monotonic()

    def on_train_batch_end(batch: int, logs=None) -> None:
        per_step = (time.monotonic() - epoch_start[0]) / (batch + 1)
        signals.batch_progress.emit(batch + 1, steps, per_step)

    def on_epoch_end(epoch: int, logs=None) -> None:
        signals.epoch_ended.emit(epoch + 1, {k: float(v) for k, v in (logs or {}).items()})

    return keras.callbacks.LambdaCallback(
        on_epoch_begin=on_epoch_begin, on_train_batch_end=on_train_batch_end, on_epoch_end=on_epoch_end
    )


class TrainWorker(Worker):
    """Prepares the data, then trains; ``returned``: the new model's card.

    ``data_ready`` carries the train / validation class counts once the data is loaded;
    the epochs and batches go out through ``signals`` (a Keras callback emits them).
    """

    data_ready = Signal(dict)  # class counts of train / validation
    doing = "Training"

    def __init__(self, config: TrainConfig, compare_with: Path | None):
        super().__init__()
        self.config = config
        self.compare_with = compare_with
        self.signals = TrainSignals()

    @property
    def expected_errors(self) -> tuple[type[BaseException], ...]:  # type: ignore[override]
        """Errors written for people; imported only once a run starts (training.fit is not light)."""
        from training.contract.model_file import ModelFileError
        from training.datasets import DatasetError
        from training.fit import StoppedWithoutModelError

        return (DatasetError, StoppedWithoutModelError, ModelFileError, OSError)

    def describe_failure(self, exc: BaseException) -> str:
        if isinstance(exc, FloatingPointError):  # the NaN guard's own words say what went wrong
            return f"Training failed: {exc}"
        return super().describe_failure(exc)

    def work(self) -> dict:
        import numpy as np

        from fer_desktop.runtime_imports import import_tensorflow
        from training import data_prep
        from training.fit import StoppedWithoutModelError, train

        import_tensorflow()  # under the import lock: the Live tab may be loading MediaPipe
        if not self.stop_requested:
            # Polls no stop flag: seconds to minutes.
            data = data_prep.prepare_data(self.config, on_warning=self.signals.warning.emit)
        if self.stop_requested:
            raise StoppedWithoutModelError("Stopped before the first epoch: no model was trained.")
        self.data_ready.emit({"train": data.train.class_counts(), "val": data.val.class_counts()})
        steps = int(np.ceil(len(data.train) / self.config.batch_size))
        callback = progress_callback(self.signals, steps)
        return train(self.config, [callback], should_stop=self._stop.is_set, data=data,
                     compare_with=self.compare_with, on_warning=self.signals.warning.emit)  # fmt: skip
