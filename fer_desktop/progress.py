"""A one-line progress report on stderr for the command-line tools."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Refreshed at most twice a second, so it costs nothing in a tight loop."""

    def __init__(self, total: int, unit: str = "frame", stream: TextIO | None = None):
        self.total = total
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.monotonic()
        self.last = 0.0

    def update(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.5:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-6)
        if self.total:
            filled = int(20 * done / self.total)
            bar = f"[{'#' * filled}{'.' * (20 - filled)}] {done}/{self.total} ({done / self.total:.0%})"
        else:
            bar = str(done)
        self.stream.write(f"\r{self.unit} {bar}  {rate:.0f} {self.unit}s/s")
        self.stream.flush()

    def finish(self, done: int) -> None:
        self.update(done, force=True)
        self.stream.write("\n")
