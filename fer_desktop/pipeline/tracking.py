"""Face tracking across frames and temporal smoothing of probabilities.

Per-frame predictions flicker between neighbouring emotions; averaging each
face's probabilities over time (an exponential moving average) steadies the
label without hiding real changes for long.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fer_desktop.pipeline.faces import Box

# Weight of a face's past probabilities in the shown ones: the Live tab's slider starts here
# and `fer-desktop video --smoothing` defaults to it.
DEFAULT_SMOOTHING = 0.6


@dataclass
class Track:
    id: int
    box: Box
    probs: np.ndarray
    missed: int = 0
    hits: int = 1


@dataclass
class FaceTracker:
    """Greedy IoU matching of detections to tracks, with EMA smoothing.

    ``smoothing`` is the weight of the past: 0 shows raw per-frame
    probabilities, 0.9 averages over roughly the last ten frames.
    """

    smoothing: float = DEFAULT_SMOOTHING
    min_iou: float = 0.3
    max_missed: int = 5
    _tracks: list[Track] = field(default_factory=list)
    _next_id: int = 1

    def reset(self) -> None:
        self._tracks.clear()
        self._next_id = 1

    def update(self, boxes: list[Box], probs: np.ndarray) -> list[Track]:
        """Match this frame's faces to tracks; returns the tracks in ``boxes`` order."""
        alpha = float(np.clip(self.smoothing, 0.0, 0.99))
        pairs = sorted(
            ((t.box.iou(b), ti, bi) for ti, t in enumerate(self._tracks) for bi, b in enumerate(boxes)),
            reverse=True,
        )
        assigned: dict[int, Track] = {}
        used_tracks: set[int] = set()
        for iou, ti, bi in pairs:
            if iou < self.min_iou:
                break
            if ti in used_tracks or bi in assigned:
                continue
            track = self._tracks[ti]
            track.box = boxes[bi]
            track.probs = alpha * track.probs + (1.0 - alpha) * probs[bi]
            track.missed = 0
            track.hits += 1
            assigned[bi] = track
            used_tracks.add(ti)
        for ti, track in enumerate(self._tracks):
            if ti not in used_tracks:
                track.missed += 1
        self._tracks = [t for t in self._tracks if t.missed <= self.max_missed]
        for bi, box in enumerate(boxes):
            if bi not in assigned:
                track = Track(self._next_id, box, np.asarray(probs[bi], dtype=np.float64).copy())
                self._next_id += 1
                self._tracks.append(track)
                assigned[bi] = track
        return [assigned[bi] for bi in range(len(boxes))]
