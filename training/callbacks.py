"""Keras callbacks for problems the seed notebook never noticed."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import keras

log = logging.getLogger(__name__)


class ChanceWarning(keras.callbacks.Callback):
    """Warn when validation accuracy is still at chance after a few epochs.

    That is the signature of training and validation data taking different
    preprocessing paths, or of a broken label mapping.  ``notify`` receives the
    message too (the Train tab shows it).
    """

    def __init__(
        self,
        chance: float,
        after_epochs: int = 3,
        margin: float = 0.02,
        notify: Callable[[str], None] | None = None,
    ):
        super().__init__()
        self.chance = chance
        self.after_epochs = after_epochs
        self.margin = margin
        self.notify = notify
        self.triggered = False

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        val_acc = (logs or {}).get("val_accuracy")
        if val_acc is None or epoch + 1 < self.after_epochs or self.triggered:
            return
        if val_acc <= self.chance + self.margin:
            self.triggered = True
            message = (
                f"validation accuracy {val_acc:.1%} is still at chance ({self.chance:.1%}) after "
                f"{epoch + 1} epochs: check that training and validation data use the same "
                "preprocessing and labels"
            )
            log.warning(message)
            if self.notify:
                self.notify(message)


class TimeBudget(keras.callbacks.Callback):
    """Stop cleanly at an epoch boundary once the wall-clock budget is spent."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.start = time.monotonic()

    def on_train_begin(self, logs=None) -> None:
        self.start = time.monotonic()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        elapsed = time.monotonic() - self.start
        per_epoch = elapsed / (epoch + 1)
        if elapsed + per_epoch > self.seconds:
            log.info("time budget reached after %d epochs", epoch + 1)
            self.model.stop_training = True


class NanGuard(keras.callbacks.TerminateOnNaN):
    """TerminateOnNaN that remembers it fired, so the caller can say so plainly."""

    def __init__(self):
        super().__init__()
        self.triggered = False
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self.epoch = epoch

    def on_batch_end(self, batch: int, logs=None) -> None:
        super().on_batch_end(batch, logs)
        if self.model.stop_training and not self.triggered:
            loss = (logs or {}).get("loss")
            self.triggered = loss is not None and not math.isfinite(float(loss))


class StopRequest(keras.callbacks.Callback):
    """Ends training after the current batch once ``should_stop()`` turns true."""

    def __init__(self, should_stop):
        super().__init__()
        self.should_stop = should_stop
        self.stopped = False

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        if self.should_stop():
            self.stopped = True
            self.model.stop_training = True
