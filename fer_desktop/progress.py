"""Progress bars on stderr for the command-line tools (``tqdm``).

Shown only when stderr is a terminal: a log file or a pipe gets the final summary lines,
not hundreds of carriage-return updates.
"""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm


class Progress:
    """A bar fed with the number done so far (not increments), as the pipelines report it."""

    def __init__(self, total: int, unit: str = "frame", stream: TextIO | None = None):
        self._bar = tqdm(
            total=total or None,
            unit=f" {unit}",
            file=stream if stream is not None else sys.stderr,
            disable=None,  # None: off when the stream is not a terminal
            dynamic_ncols=True,
            mininterval=0.5,
            leave=True,
        )
        self.unit = unit

    @property
    def total(self) -> int:
        return self._bar.total or 0

    @total.setter
    def total(self, value: int) -> None:
        if value and value != self._bar.total:
            self._bar.total = value
            self._bar.refresh()

    def update(self, done: int, force: bool = False) -> None:
        """``done`` so far; ``force`` redraws now (tqdm otherwise redraws at most twice a second)."""
        if done > self._bar.n:
            self._bar.update(done - self._bar.n)
        if force:
            self._bar.refresh()

    def finish(self, done: int) -> None:
        self.update(done)
        self._bar.close()
