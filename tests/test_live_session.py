"""The Live session's state and rules, without Qt: selection, stats, timeline pacing, Snapshot, reset."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fer_desktop.live.cameras import Camera, find_camera
from fer_desktop.live.playback import SourceInfo
from fer_desktop.live.session import (
    NO_FACES,
    NO_FPS,
    NO_LATENCY,
    TIMELINE_REDRAW_S,
    LiveSession,
    model_name,
    model_text,
)
from fer_desktop.pipeline.analyzer import FaceResult, FrameResult
from fer_desktop.pipeline.faces import Box
from training.contract.labels import CLASS_NAMES


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def face(track_id: int, x: int, size: int, emotion: str = "happy") -> FaceResult:
    probs = np.full(len(CLASS_NAMES), 0.05)
    probs[CLASS_NAMES.index(emotion)] = 1 - 0.05 * (len(CLASS_NAMES) - 1)
    return FaceResult(track_id, Box(x, 20, size, size), probs)


def frame(index: int, *faces: FaceResult, ms: float = 10.0) -> tuple[np.ndarray, FrameResult]:
    return np.full((240, 320, 3), 60, np.uint8), FrameResult(index, index / 10, list(faces), ms, ms / 2)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_the_largest_face_is_selected_and_kept_while_in_view(clock):
    session = LiveSession("video.mp4", clock)
    assert session.selected_face() is None and session.panel_title() == "No face"
    session.add(*frame(0, face(1, 10, 40), face(2, 150, 80)))
    assert session.selected_id == 2
    assert session.panel_title() == "Face 2: happy 70%"
    assert session.select_at(20, 30)  # inside face 1
    assert session.selected_id == 1
    assert not session.select_at(300, 230)  # no face there: the selection stays
    assert session.selected_id == 1
    session.add(*frame(1, face(1, 12, 40), face(2, 150, 80)))
    assert session.selected_id == 1  # still in view: kept, though smaller
    session.add(*frame(2, face(2, 150, 80)))
    assert session.selected_id == 2  # gone: the largest one
    session.add(*frame(3))
    assert session.selected_id is None and session.selected_face() is None


def test_the_frame_is_drawn_with_the_selection_and_snapshot_saves_it(clock, tmp_path):
    session = LiveSession("0", clock)
    assert session.annotate() is None and session.snapshot(tmp_path) is None
    image, result = frame(0, face(1, 10, 40), face(2, 150, 80))
    session.add(image, result)
    first = session.annotate()
    assert first is not None and first.shape == image.shape and not np.array_equal(first, image)
    session.select_at(20, 30)
    assert not np.array_equal(session.annotate(), first)  # the selected box is drawn differently
    path = session.snapshot(tmp_path)
    assert path is not None and path.parent == tmp_path
    assert np.array_equal(cv2.imread(str(path)), session.last_annotated)


def test_stats_are_fixed_width_and_fps_comes_from_arrivals(clock):
    session = LiveSession("0", clock)
    assert session.stats_lines(None) == (NO_FACES, NO_FPS, NO_LATENCY)
    _, first = frame(0, face(1, 10, 40), ms=12.0)
    session.add(np.zeros((2, 2, 3), np.uint8), first)
    faces, fps, latency = session.stats_lines(first)
    assert faces == "Faces      1" and fps is None  # one frame: the FPS line stays as it was
    assert latency == "Latency   18 ms (faces   12, emotions    6)"
    for i in range(1, 5):
        clock.now += 0.1
        session.add(*frame(i))
    assert session.fps() == pytest.approx(10.0)
    _, huge = frame(5, *[face(i, 0, 10) for i in range(120)], ms=1e6)
    lines = session.stats_lines(huge)
    assert lines == ("Faces    120", "FPS     10.0", "Latency 9999 ms (faces 9999, emotions 9999)")
    assert [len(line) for line in lines] == [len(NO_FACES), len(NO_FPS), len(NO_LATENCY)]


def test_the_timeline_is_fed_every_frame_and_redrawn_at_most_every_quarter_second(clock):
    session = LiveSession("0", clock)
    session.add(*frame(0, face(1, 10, 40)))
    session.add(*frame(1, face(2, 150, 80)))
    assert session.timeline.face_ids() == [1, 2]
    assert session.timeline_due()
    clock.now += TIMELINE_REDRAW_S / 2
    assert not session.timeline_due()
    assert session.timeline_due(force=True)  # paused, or a click: at once
    clock.now += TIMELINE_REDRAW_S
    assert session.timeline_due()


def test_reset_forgets_the_run_and_its_picture_unless_stopped_on_it(clock):
    session = LiveSession("a.mp4", clock)
    session.source_info = SourceInfo(seekable=True, folder=False, frame_count=90, fps=25.0)
    assert session.opened and session.record_fps == 25.0
    assert not session.can_snapshot  # no frame yet: nothing to save
    session.add(*frame(0, face(1, 10, 40)))
    session.annotate()
    assert session.can_snapshot
    session.reset(keep_picture=True)  # Stop: the frame stopped on stays, to redraw and save
    assert not session.opened and session.fps() is None and session.timeline.face_ids() == []
    assert session.can_snapshot and session.last_result is not None and session.selected_id == 1
    session.reset("b.mp4")  # a new source (or a failure): no picture of the old one
    assert session.source_spec == "b.mp4" and not session.opened and session.record_fps == 30.0
    assert session.last_result is None and session.selected_id is None and session.last_image is None
    assert not session.can_snapshot and session.annotate() is None
    session.source_info = SourceInfo(seekable=False, folder=False, frame_count=0, fps=None)
    assert session.record_fps == 30.0  # a camera: the default rate


def test_only_a_camera_counts_for_reconnect(clock):
    session = LiveSession("0", clock)
    assert session.is_camera  # a camera number that has not opened (yet): plug it in, reconnect
    session.reset("clip.mp4")
    assert not session.is_camera
    session.source_info = SourceInfo(seekable=True, folder=False, frame_count=90, fps=25.0)
    assert not session.is_camera
    session.reset("scripted")  # whatever its spec, an opened live source is a camera
    session.source_info = SourceInfo(seekable=False, folder=False, frame_count=0, fps=None, live=True)
    assert session.is_camera


def test_mirror_flips_the_kept_frame_and_its_boxes(clock):
    session = LiveSession("clip.mp4", clock)
    assert not session.set_mirror(True)  # no frame: nothing to redraw
    image, result = frame(0, face(1, 10, 40), face(2, 150, 80))
    image[:, :160] = 200  # a left half that is told apart from the right
    session.add(image, result)
    session.select_at(20, 30)
    drawn = session.annotate().copy()
    assert session.set_mirror(True) and session.mirrored
    assert not session.set_mirror(True)  # already so
    assert np.array_equal(session.last_image, cv2.flip(image, 1))
    boxes = {f.track_id: (f.box.x, f.box.w) for f in session.last_result.faces}
    assert boxes == {1: (320 - 10 - 40, 40), 2: (320 - 150 - 80, 80)}
    assert session.selected_id == 1 and session.select_at(320 - 20, 30)  # face 1 is now on the right
    assert not np.array_equal(session.annotate(), drawn)
    assert session.set_mirror(False)
    assert np.array_equal(session.annotate(), drawn)  # back as it was, pixel for pixel


def test_model_line_names_the_model_and_its_runtime():
    assert model_name("/runs/2026-01-01/model.keras") == "2026-01-01"
    assert model_name("/models/fer.tflite") == "fer.tflite"
    assert model_text("/m/fer.keras", None) == "Model: fer.keras\nRuntime: chosen when a source starts"
    assert model_text("/m/fer.keras", "tflite") == "Model: fer.keras\nRuntime: TFLite"
    loading = model_text("/m/fer.keras", "tensorflow", loading="/runs/r1/model.keras")
    assert loading == "Model: fer.keras\nRuntime: TensorFlow (loading r1…)"
    assert model_text("/m/fer.keras", "tflite-int8") == "Model: fer.keras\nRuntime: TFLite int8"
    why = "fer.keras: int8 copy: fer.int8.tflite is missing. Running on its float TFLite copy."
    assert model_text("/m/fer.keras", "tflite", fallback=why) == f"Model: fer.keras\nRuntime: TFLite\n{why}"


def test_the_chosen_camera_is_found_by_name_and_number_then_name_then_number():
    cameras = [Camera(0, "Integrated"), Camera(2, "USB Webcam"), Camera(3, "USB Webcam")]
    assert find_camera(cameras, "USB Webcam", 3) == 2
    assert find_camera(cameras, "USB Webcam", 9) == 1  # renumbered: by name
    assert find_camera(cameras, "Gone", 0) == 0  # unknown name: by number
    assert find_camera(cameras, "Gone", 7) is None
    assert find_camera([], None, 0) is None
