"""Pause, step, seek, loop and folder pace through the frame grabber (no Qt)."""

from __future__ import annotations

import itertools
import time

import cv2
import numpy as np

from fer_desktop.live.playback import PlaybackControl
from fer_desktop.live.sources import ImageFolderSource, LatestFrameGrabber, VideoFileSource
from tests.conftest import write_video


def _numbered_video(path, n: int = 30, fps: float = 30.0):
    return write_video(path, [np.full((48, 64, 3), 8 * i, np.uint8) for i in range(n)], fps=fps)


def _next(grabber: LatestFrameGrabber, timeout: float = 3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = grabber.next_frame(timeout=0.1)
        if frame is not None:
            return frame
    return None


def test_pause_step_and_seek_deliver_exactly_the_frames_asked_for(tmp_path):
    control = PlaybackControl()
    control.pause()
    source = VideoFileSource(_numbered_video(tmp_path / "v.avi"))
    grabber = LatestFrameGrabber(source, control=control).start()
    try:
        assert grabber.next_frame(timeout=0.5) is None  # paused before the first frame
        control.step()
        assert _next(grabber).index == 0
        control.step()
        assert _next(grabber).index == 1
        assert grabber.next_frame(timeout=0.4) is None  # still paused after a step
        control.seek(20)
        frame = _next(grabber)
        assert frame.index == 20 and frame.time == 20 / 30
        control.previous()
        assert _next(grabber).index == 19
        control.resume()
        later = [_next(grabber).index for _ in range(3)]
        assert later[0] >= 20 and later == sorted(later)
    finally:
        grabber.stop()


def test_loop_starts_the_video_again_and_without_it_the_video_ends(tmp_path):
    video = _numbered_video(tmp_path / "v.avi", n=10, fps=100)
    control = PlaybackControl(loop=True)
    grabber = LatestFrameGrabber(VideoFileSource(video), realtime=False, control=control).start()
    try:
        indices = []
        for _ in range(25):
            frame = _next(grabber)
            indices.append(frame.index)
        assert not grabber.finished
        assert min(indices) == 0 and any(b < a for a, b in itertools.pairwise(indices))  # wrapped round
        control.set_loop(False)
        deadline = time.monotonic() + 5
        while not grabber.finished and time.monotonic() < deadline:
            grabber.next_frame(timeout=0.1)
        assert grabber.finished and grabber.error is None
    finally:
        grabber.stop()


def test_folder_next_previous_and_pace(tmp_path):
    for i in range(4):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((30, 40, 3), i * 50, np.uint8))
    control = PlaybackControl(folder_pace_s=30.0)  # far longer than the test: only Next moves on
    grabber = LatestFrameGrabber(ImageFolderSource(tmp_path), control=control).start()
    try:
        assert _next(grabber).index == 0
        assert grabber.next_frame(timeout=0.5) is None  # waits its 30 s
        control.step()  # Next
        assert _next(grabber, 1.0).index == 1
        control.previous()
        assert _next(grabber, 1.0).index == 0
        started = time.monotonic()
        control.set_folder_pace(0.2)  # a new pace applies to the photo being shown
        assert _next(grabber, 2.0).index == 1
        assert _next(grabber, 2.0).index == 2
        assert time.monotonic() - started < 1.5
    finally:
        grabber.stop()
