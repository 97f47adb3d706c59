"""The session recorder the ``video`` command and the Live tab's Record share, and the summary picture."""

from __future__ import annotations

import csv
from datetime import datetime

import cv2
import numpy as np
import pytest

from fer_desktop.live.emotion_summary import EmotionTimeline, draw_summary, summary_height, time_shares
from fer_desktop.live.recording import CSV_COLUMNS, WALL_TIME_COLUMN, RecordingError, SessionRecorder
from fer_desktop.pipeline.analyzer import FaceResult, FrameResult
from fer_desktop.pipeline.faces import Box
from training.contract.labels import CLASS_NAMES

HAPPY, SAD = CLASS_NAMES.index("happy"), CLASS_NAMES.index("sad")


def _result(index: int, time: float, *emotions: int) -> FrameResult:
    faces = []
    for face_id, emotion in enumerate(emotions, start=1):
        probs = np.full(len(CLASS_NAMES), 0.05)
        probs[emotion] = 0.7
        faces.append(FaceResult(face_id, Box(10 + 60 * face_id, 20, 50, 50), probs / probs.sum()))
    return FrameResult(index, time, faces)


def _read(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_wall_time_is_appended_after_the_contract_columns(tmp_path):
    out = tmp_path / "session.csv"
    stamp = datetime(2026, 11, 26, 14, 30, 5, 250000).astimezone().timestamp()
    with SessionRecorder(out, wall_clock=True, all_frames=True) as rec:
        rec.add(None, _result(0, 0.0, HAPPY), wall_time=stamp)
        rec.add(None, _result(1, 0.033), wall_time=stamp + 1)
    header, face, empty = _read(out)
    assert header == [*CSV_COLUMNS, WALL_TIME_COLUMN]
    assert face[:3] == ["0", "0.000", "1"] and face[7] == "happy"
    assert face[-1].startswith("2026-11-26T14:30:05.250")
    assert empty[:2] == ["1", "0.033"] and empty[-1].startswith("2026-11-26T14:30:06.250")
    assert all(v == "" for v in empty[2:-1])


def test_nothing_replaces_earlier_files_until_the_recording_closes(tmp_path):
    out, video = tmp_path / "session.csv", tmp_path / "session.mp4"
    out.write_text("earlier work\n")
    image = np.full((120, 240, 3), 90, np.uint8)
    with pytest.raises(KeyboardInterrupt), SessionRecorder(out, video_path=video, fps=10) as rec:
        rec.add(image, _result(0, 0.0, SAD))
        assert out.read_text() == "earlier work\n"  # still the old file while recording
        raise KeyboardInterrupt
    assert out.read_text() == "earlier work\n" and not video.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.csv"]  # no part files left


def test_the_annotated_video_takes_every_frame_at_the_given_rate(tmp_path):
    video = tmp_path / "session.avi"
    image = np.full((120, 240, 3), 90, np.uint8)
    with SessionRecorder(tmp_path / "s.csv", video_path=video, fps=12.5) as rec:
        for i in range(7):
            rec.add(image, _result(i, i / 12.5, HAPPY) if i % 2 else _result(i, i / 12.5))
    cap = cv2.VideoCapture(str(video))
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(12.5)
    assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (240, 120)
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 7


def test_drawn_frames_are_written_repeated_and_at_the_first_frames_size(tmp_path):
    video = tmp_path / "paced.avi"
    with SessionRecorder(tmp_path / "s.csv", video_path=video, fps=10) as rec:
        rec.write_video_frame(np.full((120, 240, 3), 90, np.uint8), 3)  # held for three frames
        rec.write_video_frame(np.full((240, 480, 3), 30, np.uint8))  # another size: scaled
        rec.write_video_frame(np.zeros((120, 240, 3), np.uint8), 0)  # nothing due yet
        assert not video.exists()  # written under a hidden part name until closed
    cap = cv2.VideoCapture(str(video))
    assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (240, 120)
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 4
    cap.release()
    with SessionRecorder(tmp_path / "t.csv") as rec:
        rec.write_video_frame(np.zeros((10, 10, 3), np.uint8), 2)  # no video asked for: a no-op
    assert sorted(p.name for p in tmp_path.iterdir()) == ["paced.avi", "s.csv", "t.csv"]


def test_an_unknown_video_type_is_refused_before_any_work(tmp_path):
    with pytest.raises(RecordingError, match=r"\.mp4"):
        SessionRecorder(tmp_path / "s.csv", video_path=tmp_path / "out.gif")
    assert list(tmp_path.iterdir()) == []


def test_time_shares_weigh_each_frame_by_how_long_it_lasts():
    # Variable frame rate: three quick happy frames, then one sad frame held for 0.3 s.
    times = np.array([0.0, 0.03, 0.06, 0.09, 0.39])
    probs = np.zeros((5, len(CLASS_NAMES)))
    probs[[0, 1, 2], HAPPY] = 1
    probs[[3, 4], SAD] = 1
    shares = time_shares(times, probs, step=0.03)
    # Each sample lasts until the next one, at most two frame gaps (0.06 s): 0.09 s happy, 0.09 s sad.
    assert shares[HAPPY] == pytest.approx(0.5) and shares[SAD] == pytest.approx(0.5)
    assert shares.sum() == pytest.approx(1.0)


def test_summary_has_a_band_per_face_and_shows_their_emotions():
    one, two = EmotionTimeline(), EmotionTimeline()
    for i in range(30):
        one.add(_result(i, i / 30, HAPPY))
        two.add(_result(i, i / 30, SAD, HAPPY))
    a, b = draw_summary(one), draw_summary(two)
    assert a.shape[0] == summary_height(1) and b.shape[0] == summary_height(2) > a.shape[0]
    # Face 1 is happy in one and sad in the other: the first band differs.
    assert np.abs(a[50:180].astype(int) - b[50:180].astype(int)).mean() > 5
    assert draw_summary(EmotionTimeline()).shape[0] == summary_height(0)  # no face: still a picture


def test_summary_shows_the_faces_seen_longest_and_says_how_many_it_left_out():
    from fer_desktop.live.emotion_summary import MAX_FACES

    timeline = EmotionTimeline()
    for i in range(20):
        emotions = [HAPPY] * (MAX_FACES + 2) if i < 2 else [HAPPY] * MAX_FACES  # faces 9 and 10: 2 frames
        timeline.add(_result(i, i / 30, *emotions))
    assert timeline.shown_faces() == list(range(1, MAX_FACES + 1))
    assert draw_summary(timeline).shape[0] == summary_height(MAX_FACES + 2) == summary_height(MAX_FACES)


@pytest.mark.parametrize("keep_partial", [False, True])
def test_a_full_disk_at_close_keeps_the_earlier_file_or_what_was_written(tmp_path, monkeypatch, keep_partial):
    """The CLI never replaces an earlier output with a cut one; a live session keeps what reached the disk."""
    import errno

    import fer_desktop.live.recording as recording

    out = tmp_path / "session.csv"
    out.write_text("earlier\n", encoding="utf-8")
    rec = SessionRecorder(out, video_path=tmp_path / "session.mp4", fps=10)
    image = np.zeros((40, 60, 3), np.uint8)
    for i in range(3):
        rec.add(image, _result(i, i / 10, 3))

    def full_disk(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(recording.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        rec.close(keep_partial=keep_partial)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".part.csv", ".part.mp4"))]
    if keep_partial:
        assert _read(out)[0] == CSV_COLUMNS and len(_read(out)) == 4
        assert (tmp_path / "session.mp4").stat().st_size > 0
    else:
        assert out.read_text(encoding="utf-8") == "earlier\n"
        assert not (tmp_path / "session.mp4").exists()
