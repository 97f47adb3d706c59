"""Each tracked face's emotions over the last minute, for the Live tab's timeline (no Qt).

The buffer keeps (time, probabilities) per face id and forgets what is older than
the window; :meth:`EmotionTimeline.lanes` turns it into one colour strip per face
(the overlay's class colours, opacity by confidence), which the widget only shows.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from fer_desktop.pipeline.analyzer import FrameResult
from fer_desktop.pipeline.overlay import CLASS_COLOURS

DEFAULT_WINDOW_S = 60.0
CLASS_RGB = tuple(tuple(reversed(bgr)) for bgr in CLASS_COLOURS)  # the overlay's colours, as RGB


class EmotionTimeline:
    def __init__(self, window_s: float = DEFAULT_WINDOW_S):
        self.window_s = window_s
        self._faces: dict[int, deque[tuple[float, np.ndarray]]] = {}
        self.now: float | None = None  # the newest result's time (source seconds)

    def clear(self) -> None:
        self._faces.clear()
        self.now = None

    def add(self, result: FrameResult) -> None:
        """Append a frame's faces; a jump back in time (seek, loop, new source) starts afresh."""
        if self.now is not None and result.time < self.now:
            self.clear()
        self.now = result.time
        for face in result.faces:
            self._faces.setdefault(face.track_id, deque()).append((result.time, np.array(face.probs)))
        oldest = result.time - self.window_s
        for face_id in list(self._faces):
            samples = self._faces[face_id]
            while samples and samples[0][0] < oldest:
                samples.popleft()
            if not samples:
                del self._faces[face_id]

    def face_ids(self) -> list[int]:
        return sorted(self._faces)

    def series(self, face_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Times (seconds before the newest result, <= 0) and probabilities (n, classes) of one face."""
        samples = self._faces.get(face_id)
        if not samples or self.now is None:
            return np.zeros(0), np.zeros((0, len(CLASS_COLOURS)))
        times = np.array([t for t, _ in samples]) - self.now
        return times, np.stack([p for _, p in samples])

    def lanes(self, bins: int = 240) -> tuple[list[int], np.ndarray]:
        """Face ids and an RGBA image (faces, bins, 4): per time bin, the dominant emotion's colour.

        The last sample in a bin wins; its opacity is the confidence; bins without a
        sample are transparent (the face was not seen then).
        """
        ids = self.face_ids()
        image = np.zeros((len(ids), bins, 4), dtype=np.uint8)
        colours = np.array(CLASS_RGB, dtype=np.uint8)
        for row, face_id in enumerate(ids):
            times, probs = self.series(face_id)
            cols = np.clip(((times + self.window_s) / self.window_s * bins).astype(int), 0, bins - 1)
            classes = probs.argmax(axis=1)
            image[row, cols, :3] = colours[classes]  # fancy indexing: the last sample of a bin wins
            image[row, cols, 3] = np.round(probs.max(axis=1) * 255).astype(np.uint8)
        return ids, image
