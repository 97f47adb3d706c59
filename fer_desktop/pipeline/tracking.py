"""Face tracking across frames and temporal smoothing of probabilities.

Per-frame predictions flicker between neighbouring emotions; averaging each
face's probabilities over time (an exponential moving average) steadies the
label without hiding real changes for long.

A track is a person: matched frame to frame by overlap with where its box is
heading (its last motion carried forward), kept through misses of up to
``max_missed_s`` seconds (a turned head, a hand, someone walking past) so the
same face keeps its id, and shown only once confirmed (found in two frames, or
once with a confident score), so that a one-frame false detection on the
background never reaches the screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fer_desktop.pipeline.faces import Box

# Weight of a face's past probabilities in the shown ones: the Live tab's slider starts here
# and `fer-desktop video --smoothing` defaults to it.
DEFAULT_SMOOTHING = 0.6
MAX_MISSED_S = 1.2
CONFIRM_HITS = 2
MIN_IOU = 0.3
# A detection this sure gives a track its home (see FaceTracker._score).
SURE_SCORE = 0.85
# A detection this sure is shown at once; below it a face waits for its second frame.
CONFIDENT_SCORE = 0.75


@dataclass
class Track:
    id: int
    box: Box
    probs: np.ndarray
    seen: float = 0.0  # source time of the last match
    velocity: tuple[float, float] = (0.0, 0.0)  # pixels per second of the box centre
    missed: int = 0
    hits: int = 1
    home: Box | None = None  # the last sure box: where the face is while half covered boxes slide

    def predicted(self, time: float) -> Box:
        dt = min(max(time - self.seen, 0.0), MAX_MISSED_S)
        b = self.box
        return Box(round(b.x + self.velocity[0] * dt), round(b.y + self.velocity[1] * dt), b.w, b.h, b.score)

    @property
    def confirmed(self) -> bool:
        return self.hits >= CONFIRM_HITS or self.box.score >= CONFIDENT_SCORE


def match_score(track_box: Box, box: Box) -> float:
    """How well ``box`` continues a track: a real overlap (IoU 0.3 or more) scores above 1;
    else, for small fast faces that moved past overlapping, closeness of the centres within
    half a face width scores below 1. A face passing just below another overlaps it a little
    and is half a face away: it does not take the other's id while that one is hidden."""
    iou = track_box.iou(box)
    if iou >= MIN_IOU:
        return 1.0 + iou
    size = max(track_box.w, track_box.h, box.w, box.h)
    ratio = max(track_box.w, box.w) / max(1, min(track_box.w, box.w))
    if ratio > 1.6:
        return 0.0
    dx = (track_box.x + track_box.w / 2) - (box.x + box.w / 2)
    dy = (track_box.y + track_box.h / 2) - (box.y + box.h / 2)
    return max(0.0, 1.0 - 2.0 * float(np.hypot(dx, dy)) / size)


@dataclass
class FaceTracker:
    """Greedy matching of detections to tracks (see :func:`match_score`), with EMA smoothing.

    ``smoothing`` is the weight of the past: 0 shows raw per-frame
    probabilities, 0.9 averages over roughly the last ten frames.
    """

    smoothing: float = DEFAULT_SMOOTHING
    min_score: float = 0.01
    max_missed_s: float = MAX_MISSED_S
    _tracks: list[Track] = field(default_factory=list)
    _next_id: int = 1
    _now: float = 0.0

    def reset(self) -> None:
        self._tracks.clear()
        self._next_id = 1
        self._now = 0.0

    def update(self, boxes: list[Box], probs: np.ndarray, time: float | None = None) -> list[Track]:
        """Match this frame's faces to tracks; returns the tracks in ``boxes`` order.

        ``time`` is the frame's time in its source (seconds); without it each call counts as
        a thirtieth of a second after the last.
        """
        now = time if time is not None else self._now + 1.0 / 30.0
        self._now = now
        alpha = float(np.clip(self.smoothing, 0.0, 0.99))
        predicted = [t.predicted(now) for t in self._tracks]
        pairs = sorted(
            ((self._score(ti, p, b), ti, bi) for ti, p in enumerate(predicted) for bi, b in enumerate(boxes)),
            reverse=True,
        )
        assigned: dict[int, Track] = {}
        used_tracks: set[int] = set()
        for score, ti, bi in pairs:
            if score < self.min_score:
                break
            if ti in used_tracks or bi in assigned:
                continue
            self._follow(self._tracks[ti], boxes[bi], probs[bi], alpha, now)
            assigned[bi] = self._tracks[ti]
            used_tracks.add(ti)
        for ti, track in enumerate(self._tracks):
            if ti not in used_tracks:
                track.missed += 1
        self._tracks = [t for t in self._tracks if t.missed == 0 or now - t.seen <= self.max_missed_s]
        for bi, box in enumerate(boxes):
            if bi not in assigned:
                track = Track(
                    self._next_id, box, np.asarray(probs[bi], dtype=np.float64).copy(), seen=now, home=box
                )
                self._next_id += 1
                self._tracks.append(track)
                assigned[bi] = track
        return [assigned[bi] for bi in range(len(boxes))]

    def _score(self, ti: int, predicted: Box, box: Box) -> float:
        """The best of where the track is heading, where it was last seen, and where it was last
        seen for sure: while a face is being covered its boxes shrink and slide off it, and when
        it shows again it is where it stood."""
        track = self._tracks[ti]
        score = max(match_score(predicted, box), match_score(track.box, box))
        return score if track.home is None else max(score, match_score(track.home, box))

    def _follow(self, track: Track, box: Box, probs: np.ndarray, alpha: float, now: float) -> None:
        dt = now - track.seen
        # Motion from sure boxes only: the boxes of a face being covered slide off it, and a
        # speed taken from them carried the hidden face onto the face passing in front.
        if dt > 0 and min(box.score, track.box.score) >= SURE_SCORE:
            old, new = track.box, box
            vx = (new.x + new.w / 2 - old.x - old.w / 2) / dt
            vy = (new.y + new.h / 2 - old.y - old.h / 2) / dt
            track.velocity = (0.5 * track.velocity[0] + 0.5 * vx, 0.5 * track.velocity[1] + 0.5 * vy)
        track.box = box
        if box.score >= SURE_SCORE or track.home is None:
            track.home = box
        track.probs = alpha * track.probs + (1.0 - alpha) * probs
        track.seen = now
        track.missed = 0
        track.hits += 1
