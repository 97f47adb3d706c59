"""A picture of a session: each face's emotions over time and its share of time per emotion.

Drawn with OpenCV and numpy only (no matplotlib, no Qt), so ``fer-desktop video --summary``
and a recording made in the Live tab produce it the same way, headless.

Layout (``SUMMARY_WIDTH`` pixels wide, ``summary_height(faces)`` high): a legend of the
class colours (the overlay's), then one band per face (the ``MAX_FACES`` seen longest, in
order of first appearance): on the left the face's smoothed probabilities stacked over the
session's time axis (gaps where the face was not seen), on the right one bar per emotion
with its share of the face's time as top emotion. A time axis closes the picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.pipeline.analyzer import FrameResult
from fer_desktop.pipeline.overlay import CLASS_COLOURS
from training.contract import atomic
from training.contract.labels import CLASS_NAMES
from training.contract.wording import count

SUMMARY_WIDTH = 1200
HEADER_H = 50
BAND_H = 130
AXIS_H = 40
MAX_FACES = 8
LEFT_W = 110  # face name
SHARES_W = 290  # the share bars on the right
MARGIN = 10
BACKGROUND = (255, 255, 255)
TEXT = (30, 30, 30)
GAP = (235, 235, 235)  # where the face was not seen
FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass
class FaceTrack:
    times: list[float] = field(default_factory=list)
    probs: list[np.ndarray] = field(default_factory=list)


@dataclass
class EmotionTimeline:
    """Each face's (time, probabilities) samples, collected frame by frame."""

    faces: dict[int, FaceTrack] = field(default_factory=dict)
    frame_times: list[float] = field(default_factory=list)

    def add(self, result: FrameResult) -> None:
        self.frame_times.append(result.time)
        for face in result.faces:
            track = self.faces.setdefault(face.track_id, FaceTrack())
            track.times.append(result.time)
            track.probs.append(np.asarray(face.probs, dtype=np.float32))

    def frame_step(self) -> float:
        """The typical time between frames (the median gap), for a sample's duration."""
        gaps = np.diff(self.frame_times)
        gaps = gaps[gaps > 0]
        return float(np.median(gaps)) if gaps.size else 1.0 / 30.0

    def shown_faces(self) -> list[int]:
        """The ``MAX_FACES`` faces seen in most frames, in order of their id (first appearance)."""
        longest = sorted(self.faces, key=lambda i: len(self.faces[i].times), reverse=True)[:MAX_FACES]
        return sorted(longest)


def summary_height(faces: int) -> int:
    return HEADER_H + max(1, min(faces, MAX_FACES)) * BAND_H + AXIS_H


def sample_durations(times: np.ndarray, step: float) -> np.ndarray:
    """How long each sample of a face stands for: until the next one, at most two typical frame
    gaps (a face that leaves and comes back is not counted while away); right for variable
    frame rates."""
    durations = np.minimum(np.diff(times, append=times[-1] + step), 2 * step)
    return np.where(durations > 0, durations, step)


def time_shares(times: np.ndarray, probs: np.ndarray, step: float) -> np.ndarray:
    """Each class's share of the face's time as its top emotion."""
    weights = sample_durations(times, step)
    totals = np.bincount(probs.argmax(axis=1), weights=weights, minlength=len(CLASS_NAMES))
    return totals / totals.sum()


def stacked_strip(
    times: np.ndarray, probs: np.ndarray, span: tuple[float, float], step: float, size: tuple[int, int]
) -> np.ndarray:
    """A (h, w, 3) image of the time ``span``: per pixel column, the mean probabilities there
    stacked bottom-up in class colours; columns more than a frame gap from any sample of the
    face are left as gaps."""
    w, h = size
    t0, length = span[0], max(span[1] - span[0], 1e-9)
    col = np.clip(((times - t0) / length * w).astype(int), 0, w - 1)
    sums = np.zeros((w, len(CLASS_NAMES)))
    np.add.at(sums, col, probs)
    counts = np.bincount(col, minlength=w).astype(float)
    # A short video has fewer frames than columns: a column between two samples of a face
    # takes its nearest sample when that is within a frame gap.
    centres = t0 + (np.arange(w) + 0.5) / w * length
    after = np.clip(np.searchsorted(times, centres), 0, len(times) - 1)
    before = np.clip(after - 1, 0, len(times) - 1)
    nearest = np.where(np.abs(times[before] - centres) <= np.abs(times[after] - centres), before, after)
    fill = (counts == 0) & (np.abs(times[nearest] - centres) <= step)
    sums[fill], counts[fill] = probs[nearest[fill]], 1
    seen = counts > 0
    mean = np.zeros_like(sums)
    mean[seen] = sums[seen] / counts[seen][:, None]
    cum = np.cumsum(mean, axis=1)  # (w, 7)
    height_frac = (h - 1 - np.arange(h)) / h  # bottom row = 0
    cls = (height_frac[:, None, None] >= cum[None, :, :]).sum(axis=2)  # (h, w): class at each pixel
    cls = np.where(seen[None, :], np.minimum(cls, len(CLASS_NAMES) - 1), len(CLASS_NAMES))
    palette = np.array([*CLASS_COLOURS, GAP], dtype=np.uint8)
    return palette[cls]


def draw_summary(timeline: EmotionTimeline) -> np.ndarray:
    """The summary picture (BGR, ``SUMMARY_WIDTH`` x ``summary_height``) of ``timeline``."""
    shown = timeline.shown_faces()
    height = summary_height(len(shown))
    img = np.full((height, SUMMARY_WIDTH, 3), BACKGROUND, dtype=np.uint8)
    _legend(img)
    hidden = len(timeline.faces) - len(shown)
    if hidden:
        _text(img, f"+{count(hidden, 'more face')} (seen less)", (SUMMARY_WIDTH - 260, 31), 0.5)
    # The session's own clock: a video's starts at 0, a live recording's wherever the camera's was.
    times = timeline.frame_times or [0.0]
    span = (min(times), max(times) + timeline.frame_step())
    strip_x0, strip_x1 = LEFT_W, SUMMARY_WIDTH - SHARES_W - MARGIN
    if not shown:
        _text(img, "No face was found.", (strip_x0, HEADER_H + BAND_H // 2), 0.7)
    step = timeline.frame_step()
    for row, face_id in enumerate(shown):
        track = timeline.faces[face_id]
        times, probs = np.asarray(track.times), np.stack(track.probs)
        y0 = HEADER_H + row * BAND_H + MARGIN
        y1 = y0 + BAND_H - 2 * MARGIN
        seen_s = float(sample_durations(times, step).sum())
        _text(img, f"Face {face_id}", (MARGIN, y0 + 22), 0.6)
        _text(img, f"{seen_s:.1f} s seen", (MARGIN, y0 + 44), 0.45)
        strip_size = (strip_x1 - strip_x0, y1 - y0)
        img[y0:y1, strip_x0:strip_x1] = stacked_strip(times, probs, span, step, strip_size)
        cv2.rectangle(img, (strip_x0, y0), (strip_x1 - 1, y1 - 1), TEXT, 1)
        _share_bars(img, time_shares(times, probs, step), strip_x1 + MARGIN, y0, y1)
    _time_axis(img, strip_x0, strip_x1, height - AXIS_H, span)
    return img


def _legend(img: np.ndarray) -> None:
    x = LEFT_W
    for name, colour in zip(CLASS_NAMES, CLASS_COLOURS, strict=True):
        cv2.rectangle(img, (x, 18), (x + 16, 34), colour, cv2.FILLED)
        _text(img, name, (x + 22, 31), 0.5)
        x += 30 + cv2.getTextSize(name, FONT, 0.5, 1)[0][0] + 20


def _share_bars(img: np.ndarray, shares: np.ndarray, x0: int, y0: int, y1: int) -> None:
    bar_h = (y1 - y0) // len(CLASS_NAMES)
    label_w, bar_w = 75, SHARES_W - 75 - 60
    for i, (name, share) in enumerate(zip(CLASS_NAMES, shares, strict=True)):
        y = y0 + i * bar_h
        _text(img, name, (x0, y + bar_h - 4), 0.4)
        bar_x = x0 + label_w
        cv2.rectangle(img, (bar_x, y + 2), (bar_x + bar_w, y + bar_h - 2), GAP, cv2.FILLED)
        filled = round(bar_w * float(share))
        if filled:
            cv2.rectangle(img, (bar_x, y + 2), (bar_x + filled, y + bar_h - 2), CLASS_COLOURS[i], cv2.FILLED)
        _text(img, f"{share:.0%}", (bar_x + bar_w + 6, y + bar_h - 4), 0.4)


def _time_axis(img: np.ndarray, x0: int, x1: int, y: int, span: tuple[float, float]) -> None:
    cv2.line(img, (x0, y + 4), (x1, y + 4), TEXT, 1)
    length = max(span[1] - span[0], 1e-9)
    tick = _tick_step(length)
    for t in np.arange(np.ceil(span[0] / tick) * tick, span[1] + 1e-9, tick):
        x = x0 + round((x1 - x0) * (t - span[0]) / length)
        cv2.line(img, (x, y + 4), (x, y + 10), TEXT, 1)
        _text(img, _time_label(t, tick, length), (x - 10, y + 28), 0.4)


def _text(img: np.ndarray, text: str, origin: tuple[int, int], scale: float) -> None:
    cv2.putText(img, text, origin, FONT, scale, TEXT, 1, cv2.LINE_AA)


def _time_label(t: float, tick: float, length: float) -> str:
    if tick < 1:
        return f"{t:.1f} s"
    return f"{t:.0f} s" if length <= 120 else f"{int(t) // 60}:{int(t) % 60:02d}"


def _tick_step(length: float) -> float:
    """A round tick interval giving at most about ten ticks."""
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600):
        if length / step <= 10:
            return float(step)
    return 7200.0


def write_summary_png(path: str | Path, timeline: EmotionTimeline) -> None:
    """Draw the summary and write it as a PNG, atomically."""
    ok, buf = cv2.imencode(".png", draw_summary(timeline))
    if not ok:
        raise OSError(f"cannot encode the summary picture for {path}")
    with atomic.atomic_path(path) as tmp:
        tmp.write_bytes(buf.tobytes())
