"""Runs ``training.fit.train`` on a worker thread; a Keras callback only emits signals."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from fer_desktop.ui.workers.stoppable import StoppableWorker
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


class TrainWorker(StoppableWorker):
    data_ready = Signal(dict)  # class counts of train / validation
    finished_training = Signal(dict)  # the model card
    failed = Signal(str)

    def __init__(self, config: TrainConfig, compare_with: Path | None):
        super().__init__()
        self.config = config
        self.compare_with = compare_with
        self.signals = TrainSignals()

    def run(self) -> None:
        import numpy as np

        from fer_desktop.runtime_imports import import_tensorflow
        from training.contract.model_file import ModelFileError
        from training.datasets import DatasetError
        from training.fit import StoppedWithoutModelError, prepare_data, train

        try:
            import_tensorflow()  # under the import lock: the Live tab may be loading MediaPipe
            if not self.stop_requested:
                data = prepare_data(
                    self.config, on_warning=self.signals.warning.emit
                )  # polls no stop flag: seconds to minutes
            if self.stop_requested:
                self.failed.emit("Stopped before the first epoch: no model was trained.")
                return
            self.data_ready.emit({"train": data.train.class_counts(), "val": data.val.class_counts()})
            steps = int(np.ceil(len(data.train) / self.config.batch_size))
            callback = progress_callback(self.signals, steps)
            card = train(self.config, [callback], should_stop=self._stop.is_set, data=data,
                         compare_with=self.compare_with, on_warning=self.signals.warning.emit)  # fmt: skip
        except FloatingPointError as exc:
            self.failed.emit(f"Training failed: {exc}")
        except (DatasetError, StoppedWithoutModelError, ModelFileError, OSError) as exc:
            self.failed.emit(str(exc))
        except Exception as exc:
            self.failed.emit(f"Training failed: {type(exc).__name__}: {exc}")
        else:
            self.finished_training.emit(card)
