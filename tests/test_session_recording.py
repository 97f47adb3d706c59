"""Recording a Live session to CSV and video (no Qt)."""

from __future__ import annotations

import csv
import errno

import cv2
import numpy as np
import pytest

from fer_desktop.live.live_recorder import LiveRecorder, RecordingError
from fer_desktop.live.recording import CSV_COLUMNS, WALL_TIME_COLUMN, csv_columns, face_rows
from fer_desktop.pipeline.analyzer import FaceResult, FrameResult
from fer_desktop.pipeline.faces import Box


def _result(index: int, fps: float = 10.0) -> FrameResult:
    probs = np.linspace(1, 2, 7)
    return FrameResult(index, index / fps, [FaceResult(3, Box(10, 20, 30, 40), probs / probs.sum())])


def test_recording_writes_video_rows_plus_wall_clock_and_a_timed_video(tmp_path):
    rec = LiveRecorder(tmp_path / "rec", video=True, fps=10)
    assert list(tmp_path.joinpath("rec").glob("fer-session-*")) == []  # nothing final until stopped
    frame = np.full((120, 160, 3), 50, np.uint8)
    for i in (0, 1, 2, 5):  # the display dropped frames 3 and 4
        rec.add(_result(i), frame, wall_time=1_700_000_000 + i / 10)
    assert rec.close(10) and rec.error is None
    assert [p.suffix for p in rec.paths] == [".csv", ".mp4"]
    assert sorted(p.name for p in (tmp_path / "rec").iterdir()) == sorted(p.name for p in rec.paths)
    rows = list(csv.reader(rec.csv_path.open(encoding="utf-8")))
    assert rows[0] == rec.columns == csv_columns(wall_clock=True) == [*CSV_COLUMNS, WALL_TIME_COLUMN]
    assert rows[1][:-1] == [str(v) for v in next(face_rows(_result(0)))]
    assert rows[4][0] == "5" and rows[4][-1].startswith("2023-11-14T")
    cap = cv2.VideoCapture(str(rec.video_path))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 6  # 0.5 s at 10 fps: gaps filled with the last frame
    assert (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (160, 120)
    cap.release()


def test_csv_only_recording_writes_no_video(tmp_path):
    rec = LiveRecorder(tmp_path, video=False)
    rec.add(_result(0), np.zeros((10, 10, 3), np.uint8))
    assert rec.close(10)
    assert [p.suffix for p in tmp_path.iterdir()] == [".csv"]


def test_a_second_recording_in_the_same_second_gets_its_own_name(tmp_path):
    first, second = LiveRecorder(tmp_path), LiveRecorder(tmp_path)
    assert first.close(10) and second.close(10)
    assert first.csv_path != second.csv_path and len(list(tmp_path.iterdir())) == 2


def test_full_disk_stops_the_recording_with_a_message_and_keeps_what_was_written(tmp_path):
    rec = LiveRecorder(tmp_path, video=False)
    rec.add(_result(0))
    real_writerows = rec._rows._csv.writerows
    calls = {"n": 0}

    class FullDisk:
        def writerows(self, rows):
            calls["n"] += 1
            if calls["n"] > 1:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_writerows(rows)

    rec._rows._csv = FullDisk()
    for i in range(1, 4):
        rec.add(_result(i))
    assert rec.wait(10)  # the writer ended by itself
    assert rec.error is not None and "the disk is full" in rec.error
    rows = list(csv.reader(rec.csv_path.open(encoding="utf-8")))
    assert len(rows) >= 2  # the header and the rows written before the disk filled
    rec.add(_result(9))  # ignored, no exception
    rec.stop()


def test_a_folder_that_cannot_be_created_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RecordingError, match="Recording not started: cannot write"):
        LiveRecorder(blocker / "sub")


def test_a_backlog_goes_to_the_csv_only_so_memory_stays_bounded(tmp_path, monkeypatch):
    import fer_desktop.live.live_recorder as recording

    monkeypatch.setattr(recording, "MAX_QUEUED_FRAMES", 3)
    rec = LiveRecorder(tmp_path, video=True, fps=10)
    gate = __import__("threading").Event()
    real = rec._write_frame
    rec._write_frame = lambda frame, t: (gate.wait(10), real(frame, t))  # a slow encoder
    frame = np.zeros((40, 60, 3), np.uint8)
    for i in range(10):
        rec.add(_result(i), frame)
    gate.set()
    assert rec.close(10) and rec.error is None
    assert rec.frames_skipped >= 5
    assert len(list(csv.reader(rec.csv_path.open(encoding="utf-8")))) == 11  # every row kept
    cap = cv2.VideoCapture(str(rec.video_path))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 10  # the timing is whole: 1 s at 10 fps
    cap.release()
