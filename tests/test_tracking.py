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
    tracker = FaceTracker(max_missed_s=0.1)
    tracker.update([Box(0, 0, 50, 50)], np.stack([onehot(0)]), time=0.0)
    for t in (0.05, 0.1, 0.15):
        tracker.update([], np.zeros((0, 7)), time=t)
    (track,) = tracker.update([Box(0, 0, 50, 50)], np.stack([onehot(0)]), time=0.2)
    assert track.id == 2


def test_an_id_survives_a_one_second_miss_while_the_face_moves_on():
    """A face hidden for a second (a hand, a turned head) and found again further along its
    path keeps its id; a face that appears elsewhere meanwhile gets a new one."""
    tracker = FaceTracker(smoothing=0.0)
    fps = 30
    for i in range(30):  # walking right at 60 px per second
        tracker.update([Box(100 + 2 * i, 200, 40, 40)], np.stack([onehot(3)]), time=i / fps)
    for i in range(30, 60):  # hidden for a second
        tracker.update([], np.zeros((0, 7)), time=i / fps)
    back, other = tracker.update(
        [Box(100 + 2 * 60, 200, 40, 40), Box(500, 50, 40, 40)], np.stack([onehot(3), onehot(0)]), time=2.0
    )
    assert back.id == 1
    assert other.id == 2


def test_crossing_faces_keep_their_ids():
    """Two faces walking past each other, one hidden behind the other while they overlap."""
    tracker = FaceTracker(smoothing=0.0)
    ids_left, ids_right = set(), set()
    for i in range(60):
        t = i / 30
        a, b = Box(100 + 6 * i, 200, 60, 60), Box(460 - 6 * i, 205, 60, 60)
        if abs(a.x - b.x) < 60:  # b passes behind a: only a is seen
            tracks = tracker.update([a], np.stack([onehot(0)]), time=t)
            ids_left.add(tracks[0].id)
            continue
        ta, tb = tracker.update([a, b], np.stack([onehot(0), onehot(1)]), time=t)
        ids_left.add(ta.id)
        ids_right.add(tb.id)
    assert ids_left == {1}
    assert ids_right == {2}


def test_an_unsure_face_is_confirmed_on_its_second_frame_a_sure_one_at_once():
    tracker = FaceTracker()
    unsure, sure = tracker.update(
        [Box(0, 0, 50, 50, score=0.6), Box(300, 0, 50, 50, score=0.9)],
        np.stack([onehot(0), onehot(1)]),
        time=0.0,
    )
    assert not unsure.confirmed and sure.confirmed
    (second, _) = tracker.update(
        [Box(2, 0, 50, 50, score=0.6), Box(300, 0, 50, 50, score=0.9)],
        np.stack([onehot(0), onehot(1)]),
        time=1 / 30,
    )
    assert second.confirmed and second.id == unsure.id
