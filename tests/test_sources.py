from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from fer_desktop.live.sources import (
    CameraSource,
    ImageFolderSource,
    LatestFrameGrabber,
    SourceError,
    VideoFileSource,
    open_source,
)
from tests.conftest import write_video


def test_video_source_reads_every_frame_in_order(face_video):
    src = VideoFileSource(face_video)
    assert src.fps == pytest.approx(30.0)
    frames = []
    while (f := src.read()) is not None:
        frames.append(f)
    src.close()
    assert len(frames) == 60
    assert [f.index for f in frames] == list(range(60))
    assert frames[30].time == pytest.approx(1.0)
    assert frames[0].image.shape == (480, 640, 3)


def test_missing_video_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="not found"):
        VideoFileSource(tmp_path / "nope.mp4")


@pytest.mark.parametrize("content", [b"", b"this is not a video at all" * 100, bytes(range(256)) * 40])
def test_corrupt_video_is_a_clear_error(tmp_path, content):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(content)
    with pytest.raises(SourceError, match="Cannot read video file"):
        VideoFileSource(bad)


def test_missing_camera_is_a_clear_error():
    with pytest.raises(SourceError, match="No camera found"):
        CameraSource(15)


def test_open_source_picks_the_kind(tmp_path, face_video, one_face_frame):
    cv2.imwrite(str(tmp_path / "a.png"), one_face_frame)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "broken.jpg").write_bytes(b"garbage")
    folder = open_source(str(tmp_path))
    assert isinstance(folder, ImageFolderSource)
    frames = [folder.read(), folder.read()]
    assert frames[0] is not None and frames[1] is None
    assert [p.name for p in folder.skipped] == ["broken.jpg"]
    assert isinstance(open_source(str(face_video)), VideoFileSource)


def test_grabber_keeps_only_the_newest_frame(tmp_path, one_face_frame):
    frames = [np.full_like(one_face_frame, i) for i in range(40)]
    path = write_video(tmp_path / "count.avi", frames, fps=200.0)
    grabber = LatestFrameGrabber(VideoFileSource(path), realtime=False).start()
    time.sleep(0.5)  # a slow consumer: the reader has run to the end meanwhile
    first = grabber.next_frame(timeout=1.0)
    assert first is not None and first.index == 39
    assert grabber.next_frame(timeout=0.1) is None
    assert grabber.finished and grabber.error is None
    grabber.stop()


def test_grabber_paces_files_in_real_time(face_video):
    grabber = LatestFrameGrabber(VideoFileSource(face_video), realtime=True).start()
    start = time.monotonic()
    seen = 0
    while not grabber.finished and time.monotonic() - start < 5:
        if grabber.next_frame(timeout=0.1) is not None:
            seen += 1
    grabber.stop()
    assert time.monotonic() - start >= 1.5  # 60 frames at 30 fps take two seconds
    assert seen > 10


def test_grabber_hands_over_every_image_of_a_folder(tmp_path, one_face_frame):
    for i in range(5):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((60, 80, 3), i * 40, np.uint8))
    grabber = LatestFrameGrabber(ImageFolderSource(tmp_path), realtime=True, folder_interval=0.05).start()
    seen = []
    while not grabber.finished:
        time.sleep(0.1)  # a slow consumer must still see every image
        frame = grabber.next_frame(timeout=1.0)
        if frame is not None:
            seen.append(frame.index)
    grabber.stop()
    assert seen == [0, 1, 2, 3, 4]


class FlakyCapture:
    """A cv2.VideoCapture stand-in: empty reads while "warming up", frames, then nothing at all."""

    def __init__(self, warmup: int, frames: int):
        self.script = [False] * warmup + [True] * frames
        self.released = False

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return True

    def read(self):
        ok = self.script.pop(0) if self.script else False
        return (True, np.zeros((48, 64, 3), np.uint8)) if ok else (False, None)

    def release(self) -> None:
        self.released = True


def test_camera_tolerates_empty_reads_while_warming_up_then_reports_loss(monkeypatch):
    capture = FlakyCapture(warmup=10, frames=3)
    monkeypatch.setattr(cv2, "VideoCapture", lambda index: capture)
    monkeypatch.setattr(CameraSource, "retry_delay_s", 0.0)
    camera = CameraSource(0)
    frames = [camera.read() for _ in range(3)]  # the first one after 10 empty reads
    assert [f.index for f in frames] == [0, 1, 2]
    with pytest.raises(SourceError, match=r"camera 0 stopped delivering frames \(50 empty reads"):
        camera.read()


def test_grabber_releases_the_source_on_its_own_thread_after_a_failure(monkeypatch):
    capture = FlakyCapture(warmup=0, frames=2)
    monkeypatch.setattr(cv2, "VideoCapture", lambda index: capture)
    monkeypatch.setattr(CameraSource, "retry_delay_s", 0.0)
    grabber = LatestFrameGrabber(CameraSource(0)).start()
    deadline = time.monotonic() + 5
    while not grabber.finished and time.monotonic() < deadline:
        grabber.next_frame(timeout=0.1)
    assert grabber.finished and "stopped delivering" in grabber.error
    assert capture.released  # by the grabber itself, before anyone called stop()
    assert grabber.stop()
