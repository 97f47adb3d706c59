"""The Live tab's timeline buffer, face captions on the overlay and mirrored results (no Qt)."""

from __future__ import annotations

import numpy as np

from fer_desktop.live.timeline import CLASS_RGB, EmotionTimeline
from fer_desktop.pipeline.analyzer import FaceResult, FrameResult
from fer_desktop.pipeline.faces import Box
from fer_desktop.pipeline.overlay import CLASS_COLOURS, SELECTED_OUTLINE, draw_results
from fer_desktop.pipeline.tracking import FaceTracker
from training.contract.labels import CLASS_NAMES


def _probs(name: str, confidence: float = 0.9) -> np.ndarray:
    p = np.full(len(CLASS_NAMES), (1 - confidence) / (len(CLASS_NAMES) - 1))
    p[CLASS_NAMES.index(name)] = confidence
    return p


def _result(t: float, faces: dict[int, str]) -> FrameResult:
    return FrameResult(
        int(t * 10), t, [FaceResult(i, Box(100 * i, 50, 80, 80), _probs(e)) for i, e in faces.items()]
    )


def test_timeline_keeps_the_last_window_per_face():
    timeline = EmotionTimeline(window_s=60)
    for k in range(0, 900):  # 90 s at 10 frames a second
        t = k / 10
        timeline.add(_result(t, {1: "happy"} if t < 50 else {1: "sad", 2: "angry"}))
    assert timeline.face_ids() == [1, 2]
    times, probs = timeline.series(1)
    assert times.min() >= -60 and times.max() == 0
    assert len(times) == 600  # 60 s of samples, the older 30 s forgotten
    assert probs.shape == (600, len(CLASS_NAMES))
    ids, image = timeline.lanes(bins=60)
    assert ids == [1, 2] and image.shape == (2, 60, 4)
    happy, sad, angry = (CLASS_RGB[CLASS_NAMES.index(n)] for n in ("happy", "sad", "angry"))
    assert tuple(image[0, 0, :3]) == happy and tuple(image[0, -1, :3]) == sad  # face 1: happy, then sad
    assert tuple(image[1, -1, :3]) == angry and image[1, 0, 3] == 0  # face 2 was not there a minute ago
    assert image[0, -1, 3] == round(0.9 * 255)  # opacity is the confidence


def test_timeline_forgets_faces_gone_for_a_minute_and_restarts_on_a_jump_back():
    timeline = EmotionTimeline(window_s=60)
    timeline.add(_result(0, {1: "happy"}))
    timeline.add(_result(61, {2: "sad"}))
    assert timeline.face_ids() == [2]
    timeline.add(_result(5, {3: "fear"}))  # seek back or loop
    assert timeline.face_ids() == [3]


def test_class_colours_are_the_overlay_colours_as_rgb():
    assert [tuple(reversed(c)) for c in CLASS_COLOURS] == list(CLASS_RGB)


def test_face_ids_are_drawn_and_the_selected_face_is_outlined():
    image = np.full((240, 400, 3), 90, np.uint8)
    result = _result(0, {1: "happy", 2: "sad"})
    plain = draw_results(image, result, selected_id=None)
    selected = draw_results(image, result, selected_id=2)
    white = np.all(selected == SELECTED_OUTLINE, axis=2)
    box2 = result.faces[1].box
    assert white[box2.y - 4 : box2.y + box2.h + 4, box2.x - 4 : box2.x + box2.w + 4].any()
    box1 = result.faces[0].box
    assert not white[box1.y - 4 : box1.y + box1.h + 4, box1.x - 4 : box1.x + box1.w + 4].any()
    assert not np.all(plain == SELECTED_OUTLINE, axis=2).any()
    # The caption carries the id: faces with other ids give other pixels in the caption.
    renumbered = FrameResult(0, 0, [FaceResult(7, f.box, f.probs) for f in result.faces[:1]])
    first_only = FrameResult(0, 0, result.faces[:1])
    assert not np.array_equal(draw_results(image, renumbered), draw_results(image, first_only))


def test_mirrored_result_flips_boxes_and_keeps_ids():
    result = _result(0, {1: "happy", 2: "sad"})
    flipped = result.mirrored(400)
    assert [f.track_id for f in flipped.faces] == [1, 2]
    assert [f.box.x for f in flipped.faces] == [400 - 100 - 80, 400 - 200 - 80]
    assert flipped.mirrored(400).faces[1].box == result.faces[1].box


def test_tracker_fed_unmirrored_boxes_keeps_ids_however_they_are_shown():
    """What the Live worker does: track the camera's frame, mirror only the result shown."""
    tracker = FaceTracker()
    boxes = [Box(20, 50, 80, 80), Box(250, 50, 80, 80)]
    probs = np.stack([_probs("happy"), _probs("sad")])
    first = [t.id for t in tracker.update(boxes, probs)]
    again = [t.id for t in tracker.update(boxes, probs)]
    assert first == again == [1, 2]
    mirrored = [Box(400 - b.x - b.w, b.y, b.w, b.h) for b in boxes]  # tracking the flipped frame instead
    assert [t.id for t in tracker.update(mirrored, probs)] != first  # is what lost the ids before
