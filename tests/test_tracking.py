from __future__ import annotations

import numpy as np

from fer_desktop.pipeline.faces import Box
from fer_desktop.pipeline.tracking import FaceTracker


def onehot(i: int) -> np.ndarray:
    p = np.full(7, 0.05)
    p[i] = 0.7
    return p


def test_ids_follow_moving_faces():
    tracker = FaceTracker(smoothing=0.0)
    a, b = Box(10, 10, 100, 100), Box(300, 10, 100, 100)
    first = tracker.update([a, b], np.stack([onehot(0), onehot(1)]))
    moved = tracker.update([Box(310, 12, 100, 100), Box(15, 12, 100, 100)], np.stack([onehot(1), onehot(0)]))
    assert [t.id for t in first] == [1, 2]
    assert [t.id for t in moved] == [2, 1]


def test_smoothing_stops_flicker_and_zero_keeps_raw():
    smooth, raw = FaceTracker(smoothing=0.8), FaceTracker(smoothing=0.0)
    box = Box(50, 50, 100, 100)
    smooth.update([box], np.stack([onehot(3)]))
    raw.update([box], np.stack([onehot(3)]))
    labels_smooth, labels_raw = [], []
    for i in range(10):
        p = np.stack([onehot(3 if i % 3 else 4)])  # a one-frame blip every third frame
        labels_smooth.append(int(np.argmax(smooth.update([box], p)[0].probs)))
        labels_raw.append(int(np.argmax(raw.update([box], p)[0].probs)))
    assert set(labels_smooth) == {3}
    assert 4 in labels_raw


def test_lost_faces_expire_and_new_ones_get_new_ids():
    tracker = FaceTracker(max_missed=2)
    tracker.update([Box(0, 0, 50, 50)], np.stack([onehot(0)]))
    for _ in range(3):
        tracker.update([], np.zeros((0, 7)))
    (track,) = tracker.update([Box(0, 0, 50, 50)], np.stack([onehot(0)]))
    assert track.id == 2
