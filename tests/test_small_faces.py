"""Faces from about 4% of the frame, no box where no face is, and ids that stay with people."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fer_desktop.pipeline.faces import FaceDetector
from fer_desktop.pipeline.frame import Frame

# Face-free backdrops. Not among them: scikit-image's coffee cup, which both BlazeFace models
# take for a face (score 0.53-0.61), and the cat, whose face the far model scores up to 0.46.
TEXTURES = ("brick", "gravel", "grass", "rocket", "text", "moon", "immunohistochemistry")


def textured_frame(name: str, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    from skimage import data

    texture = getattr(data, name)()
    texture = cv2.cvtColor(texture, cv2.COLOR_GRAY2BGR) if texture.ndim == 2 else texture[:, :, ::-1]
    reps = (size[1] // texture.shape[0] + 1, size[0] // texture.shape[1] + 1, 1)
    return np.ascontiguousarray(np.tile(texture, reps)[: size[1], : size[0]])


# The astronaut's face is about 0.6 of the width of the ``face_crop`` fixture (her helmet and hair
# around it): the tile is this much wider than the face it should show.
TILE_PER_FACE = 1 / 0.6


def paste_face(frame: np.ndarray, face: np.ndarray, width: int, x: int, y: int) -> tuple[int, int, int, int]:
    """The astronaut's head pasted so that her face is about ``width`` px wide, at (x, y); the
    head's box in the frame."""
    side = round(width * TILE_PER_FACE)
    tile = cv2.resize(face, (side, round(side * face.shape[0] / face.shape[1])), interpolation=cv2.INTER_AREA)
    frame[y : y + tile.shape[0], x : x + tile.shape[1]] = tile
    return x, y, tile.shape[1], tile.shape[0]


@pytest.fixture(scope="module")
def detector():
    with FaceDetector() as d:
        yield d


def centre_inside(box, region) -> bool:
    x, y, w, h = region
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    return x <= cx <= x + w and y <= cy <= y + h


@pytest.mark.parametrize("frame_size,width", [((640, 480), 30), ((1280, 720), 56), ((1600, 1200), 70)])
def test_a_face_of_about_4_percent_of_the_frame_is_found(detector, face_crop, frame_size, width):
    """The near model alone saw no face under about 13% of the frame's longer side."""
    frame = textured_frame("brick", frame_size)
    region = paste_face(frame, face_crop, width, frame_size[0] // 3, frame_size[1] // 2)
    boxes = detector.detect(frame)
    assert len(boxes) == 1 and centre_inside(boxes[0], region)
    assert detector.detect(frame, far=False) == []  # what it found before: nothing


def test_six_small_faces_of_a_group_photo_are_all_found(detector, face_crop):
    frame = textured_frame("gravel", (1600, 1200))
    regions = [paste_face(frame, face_crop, 90, 150 + 480 * (i % 3), 200 + 500 * (i // 3)) for i in range(6)]
    boxes = detector.detect(frame)
    assert len(boxes) == 6
    assert all(any(centre_inside(b, r) for b in boxes) for r in regions)


@pytest.mark.parametrize("name", TEXTURES)
def test_no_box_on_a_face_free_textured_frame(detector, name):
    for size in ((640, 480), (1280, 720)):
        assert detector.detect(textured_frame(name, size)) == []


def test_a_video_follows_a_small_face_and_shows_no_box_on_the_background(engine, face_crop):
    """Through the analyzer as the Live tab runs it: a 30-pixel face walking across a textured
    room is shown in every frame after the first two, with one id, and nothing else is."""
    analyzer = engine.get()
    analyzer.new_source()
    room = textured_frame("grass")
    ids, shown = set(), 0
    for i in range(45):
        frame = room.copy()
        region = paste_face(frame, face_crop, 30, 100 + 6 * i, 240)
        result = analyzer.analyze(Frame(frame, i, i / 30))
        assert len(result.faces) <= 1
        if result.faces:
            assert centre_inside(result.faces[0].box, region)
            ids.add(result.faces[0].track_id)
            shown += 1
    assert ids == {1}
    assert shown >= 43


def test_an_id_is_kept_through_a_one_second_miss(engine, face_crop):
    analyzer = engine.get()
    analyzer.new_source()
    room = textured_frame("brick")
    ids = []
    for i in range(90):
        frame = room.copy()
        if not 30 <= i < 60:  # hidden for a second
            paste_face(frame, face_crop, 60, 200 + 2 * i, 150)
        ids += [f.track_id for f in analyzer.analyze(Frame(frame, i, i / 30)).faces]
    assert set(ids) == {1} and len(ids) >= 55


def test_ids_restart_at_one_for_each_new_source(engine, one_face_frame):
    engine.new_source()
    first = [engine.analyze(Frame(one_face_frame.copy(), i, i / 30)).faces[0].track_id for i in range(3)]
    blank = np.full_like(one_face_frame, 90)
    for i in range(3, 60):  # the face leaves long enough for its track to end
        engine.analyze(Frame(blank, i, i / 30))
    later = engine.analyze(Frame(one_face_frame.copy(), 60, 2.0)).faces[0].track_id
    engine.new_source()
    again = engine.analyze(Frame(one_face_frame.copy(), 0, 0.0)).faces[0].track_id
    assert first == [1, 1, 1] and later == 2 and again == 1


def test_photos_of_a_folder_are_not_smoothed_into_each_other(engine, tmp_path, astronaut_bgr, one_face_frame):
    """Each photo of a folder is its own scene: its probabilities are its own, whatever came before."""
    from fer_desktop.live.sources import ImageFolderSource

    other = cv2.flip(one_face_frame, 1)
    other[:, :, 2] = np.clip(other[:, :, 2].astype(int) + 60, 0, 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "a.png"), one_face_frame)
    cv2.imwrite(str(tmp_path / "b.png"), other)
    engine.set_smoothing(0.9)
    try:
        engine.new_source()
        source = ImageFolderSource(tmp_path)
        results = [engine.analyze(source.read()) for _ in range(2)]
        engine.new_source()
        alone = engine.analyze(Frame(cv2.imread(str(tmp_path / "b.png")), 0, 0.0, still=True))
    finally:
        engine.set_smoothing(0.6)
    assert [len(r.faces) for r in results] == [1, 1]
    assert results[1].faces[0].track_id == 1
    np.testing.assert_allclose(results[1].faces[0].probs, alone.faces[0].probs, atol=1e-6)
    assert not np.allclose(results[0].faces[0].probs, results[1].faces[0].probs, atol=1e-3)


def test_without_litert_the_near_model_runs_on_mediapipe(monkeypatch, one_face_frame):
    """Where LiteRT has no wheel (Intel macOS) faces from about 13% of the frame are still found."""
    import sys

    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    with FaceDetector() as fallback:
        assert not fallback.finds_far_faces
        boxes = fallback.detect(one_face_frame)
    with FaceDetector() as usual:
        expected = usual.detect(one_face_frame)
    assert len(boxes) == 1 and boxes[0].iou(expected[0]) > 0.7


def test_a_followed_face_alone_costs_one_look_a_frame_and_faces_side_by_side_get_the_closer_look(
    face_crop, monkeypatch
):
    """The near box of a small face, where that face was a frame before, needs no second look;
    with another face within two face widths (paths about to cross) it still gets one."""
    from fer_desktop.pipeline.finder import FaceFinder

    with FaceDetector() as detector:
        calls: list[int] = []
        near_detect = detector._near.detect
        monkeypatch.setattr(detector._near, "detect", lambda *a: calls.append(1) or near_detect(*a))
        alone = textured_frame("grass")
        region = paste_face(alone, face_crop, 120, 150, 150)  # 19% of the width: not a sure box
        side_by_side = alone.copy()
        paste_face(side_by_side, face_crop, 120, 150 + 210, 150)
        finder = FaceFinder(detector, far_every=100.0)
        per_frame = []
        for i, frame in enumerate([alone] * 4 + [side_by_side] * 4):
            calls.clear()
            boxes = finder.find(frame, i / 30)
            per_frame.append(len(calls))
            assert any(centre_inside(b, region) for b in boxes)
        assert per_frame[1:4] == [1, 1, 1]  # the whole-frame pass alone
        assert min(per_frame[5:]) >= 3  # the whole frame and a closer look at each face
