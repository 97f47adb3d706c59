"""What the Train tab says about a dataset and a running training, kept free of Qt.

The class counts with their warnings, and the time left: plain text from plain
numbers, so they are tested without a window.
"""

from __future__ import annotations

import time

TINY_CLASS = 20  # fewer images than this in a class earns a warning


def counts_text(counts: dict[str, dict[str, int]]) -> str:
    """One line of class counts per split, then a ⚠ line for each empty or tiny class."""
    lines, warnings = [], []
    for split, per_class in counts.items():
        lines.append(f"{split}: " + ", ".join(f"{k} {v}" for k, v in per_class.items()))
        empty = [k for k, v in per_class.items() if v == 0 and not k.startswith("?")]
        tiny = [k for k, v in per_class.items() if 0 < v < TINY_CLASS and not k.startswith("?")]
        if empty:
            warnings.append(f"{split}: no images for {', '.join(empty)}")
        if tiny:
            warnings.append(f"{split}: very few images for {', '.join(tiny)}")
    return "\n".join(lines + [f"⚠ {w}" for w in warnings])


class EpochClock:
    """Times the epochs of one run, to say how long the rest will take.

    Before the first epoch ends the estimate is the batches' pace; after, the mean epoch.
    """

    def __init__(self, total_epochs: int = 1, clock=time.monotonic):
        self.total_epochs = total_epochs
        self._clock = clock
        self.epoch_times: list[float] = []
        self._epoch_started = clock()

    def epoch_ended(self) -> None:
        now = self._clock()
        self.epoch_times.append(now - self._epoch_started)
        self._epoch_started = now

    def time_left_text(self, step: int, steps: int, per_step: float) -> str:
        """``epoch 2/10, about 3 min left`` at batch ``step`` of ``steps`` (``per_step`` seconds each)."""
        done = len(self.epoch_times)
        per_epoch = sum(self.epoch_times) / done if done else per_step * steps
        left = (steps - step) * per_step + (self.total_epochs - done - 1) * per_epoch
        return f"epoch {done + 1}/{self.total_epochs}, about {duration(left)} left"


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"
