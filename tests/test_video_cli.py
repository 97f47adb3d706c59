"""``fer-desktop video``: the same pipeline, headless, into a CSV, an annotated video and a summary."""

from __future__ import annotations

import csv
import shutil
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from fer_desktop.cli import main
from fer_desktop.live.emotion_summary import SUMMARY_WIDTH, summary_height
from fer_desktop.live.recording import CSV_COLUMNS
from fer_desktop.pipeline.analyzer import FaceResult, FrameResult
from fer_desktop.pipeline.faces import Box
from fer_desktop.pipeline.overlay import draw_results
from tests.conftest import write_video
from training.contract.labels import CLASS_NAMES


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_video_command_writes_one_row_per_face_per_frame(face_video, tmp_path, capsys):
    out = tmp_path / "per_frame.csv"
    assert main(["video", str(face_video), "--out", str(out)]) == 0
    rows = _rows(out)
    assert list(rows[0].keys()) == CSV_COLUMNS  # the contract: these names, in this order
    assert len(rows) >= 55  # one face in (nearly) every one of the 60 frames
    assert len({r["frame"] for r in rows}) == len(rows)
    for r in rows:
        assert r["emotion"] in CLASS_NAMES
        probs = [float(r[c]) for c in CLASS_NAMES]
        assert sum(probs) == pytest.approx(1.0, abs=1e-3)
        assert float(r["confidence"]) == pytest.approx(max(probs), abs=1e-4)
    assert float(rows[-1]["time"]) == pytest.approx(int(rows[-1]["frame"]) / 30.0, abs=1e-3)
    err = capsys.readouterr().err
    assert "60 frames" in err and f"written: {out}" in err


def test_out_defaults_to_the_video_with_a_csv_extension(face_video, tmp_path, capsys):
    video = Path(shutil.copy(face_video, tmp_path / "clip.avi"))
    assert main(["video", str(video)]) == 0
    assert len(_rows(tmp_path / "clip.csv")) >= 55
    assert f"written: {tmp_path / 'clip.csv'}" in capsys.readouterr().err


def test_annotated_video_keeps_frame_count_size_and_rate_and_shows_the_live_drawing(
    face_video, tmp_path, capsys
):
    out, annotated = tmp_path / "rows.csv", tmp_path / "annotated.mp4"
    assert main(["video", str(face_video), "--out", str(out), "--annotated", str(annotated)]) == 0
    src, got = cv2.VideoCapture(str(face_video)), cv2.VideoCapture(str(annotated))
    for prop in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT, cv2.CAP_PROP_FPS):
        assert got.get(prop) == pytest.approx(src.get(prop)), prop
    originals, drawn = _frames(src), _frames(got)
    assert len(drawn) == len(originals) == 60
    by_frame: dict[int, list[FaceResult]] = {}
    for r in _rows(out):
        box = Box(*(int(r[k]) for k in "xywh"))
        probs = np.array([float(r[c]) for c in CLASS_NAMES])
        by_frame.setdefault(int(r["frame"]), []).append(FaceResult(int(r["face"]), box, probs))
    for i in (0, 30, 59):
        expected = draw_results(originals[i], FrameResult(i, i / 30.0, by_frame[i]))
        drawing = np.any(expected != originals[i], axis=2)  # the box and label pixels
        assert drawing.sum() > 1000
        # The codec is lossy: there, the frame is far closer to the Live tab's drawing than to the original.
        got = drawn[i][drawing]
        assert _diff(got, expected[drawing]) < 0.3 * _diff(got, originals[i][drawing])
    assert f"written: {annotated}" in capsys.readouterr().err


def _frames(cap: cv2.VideoCapture) -> list[np.ndarray]:
    frames = []
    while True:
        ok, image = cap.read()
        if not ok:
            return frames
        frames.append(image)


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.fixture(scope="module")
def half_empty_video(tmp_path_factory, one_face_frame) -> Path:
    """20 frames: a face in the first 10, an empty grey frame in the last 10."""
    blank = np.full_like(one_face_frame, 90)
    frames = [one_face_frame] * 10 + [blank] * 10
    return write_video(tmp_path_factory.mktemp("half") / "half.avi", frames)


def test_all_frames_adds_an_empty_row_for_each_frame_without_a_face(half_empty_video, tmp_path):
    faces_only, every_frame = tmp_path / "faces.csv", tmp_path / "all.csv"
    assert main(["video", str(half_empty_video), "--out", str(faces_only)]) == 0
    assert main(["video", str(half_empty_video), "--out", str(every_frame), "--all-frames"]) == 0
    face_rows = _rows(faces_only)
    rows = _rows(every_frame)
    assert [int(r["frame"]) for r in face_rows] == list(range(10))
    assert [int(r["frame"]) for r in rows] == list(range(20))
    assert rows[:10] == face_rows
    for r in rows[10:]:
        assert float(r["time"]) == pytest.approx(int(r["frame"]) / 30.0, abs=1e-3)
        assert all(r[c] == "" for c in CSV_COLUMNS[2:])


VFR_TIMES = [0.0, 0.04, 0.08, 0.3, 0.35, 0.9, 1.0, 1.5]


@pytest.fixture(scope="module")
def vfr_video(tmp_path_factory, one_face_frame) -> Path:
    """An MP4 whose frames are stamped at uneven times (as a phone records), written with PyAV."""
    av = pytest.importorskip("av")
    path = tmp_path_factory.mktemp("vfr") / "phone.mp4"
    ms = Fraction(1, 1000)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=1000)
        stream.codec_context.time_base = ms
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        for t in VFR_TIMES:
            frame = av.VideoFrame.from_ndarray(one_face_frame, format="bgr24")
            frame.pts, frame.time_base = round(t * 1000), ms
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def test_time_follows_the_decoders_timestamps_of_a_variable_frame_rate_video(vfr_video, tmp_path):
    out = tmp_path / "vfr.csv"
    assert main(["video", str(vfr_video), "--out", str(out), "--all-frames"]) == 0
    rows = _rows(out)
    assert [int(r["frame"]) for r in rows] == list(range(len(VFR_TIMES)))
    assert [float(r["time"]) for r in rows] == pytest.approx(VFR_TIMES, abs=1e-3)


def test_summary_picture_is_written_at_its_size_and_shows_the_session(face_video, half_empty_video, tmp_path):
    pictures = []
    for name, video in (("full", face_video), ("half", half_empty_video)):
        png = tmp_path / f"{name}.png"
        assert main(["video", str(video), "--out", str(tmp_path / f"{name}.csv"), "--summary", str(png)]) == 0
        image = cv2.imread(str(png))
        assert image.shape == (summary_height(1), SUMMARY_WIDTH, 3)
        pictures.append(image)
    assert _diff(*pictures) > 1.0  # a face seen throughout, against one gone half the time


def test_a_folder_is_named_as_a_folder(tmp_path, capsys):
    assert main(["video", str(tmp_path), "--out", str(tmp_path / "x.csv")]) == 1
    assert "is a folder, not a video file" in capsys.readouterr().err


def test_an_output_never_replaces_the_video(face_video, tmp_path, capsys):
    video = Path(shutil.copy(face_video, tmp_path / "clip.avi"))
    before = video.read_bytes()
    assert main(["video", str(video), "--annotated", str(video)]) == 1
    assert "would replace the video itself" in capsys.readouterr().err
    assert video.read_bytes() == before and not (tmp_path / "clip.csv").exists()


def test_missing_video_exits_1_with_message(tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert main(["video", str(tmp_path / "missing.mp4"), "--out", str(out)]) == 1
    assert "not found" in capsys.readouterr().err
    assert not out.exists()


def test_corrupt_video_exits_1_with_message(tmp_path, capsys):
    bad = tmp_path / "bad.avi"
    bad.write_bytes(b"RIFF0000AVI garbage" * 50)
    assert main(["video", str(bad), "--out", str(tmp_path / "x.csv")]) == 1
    assert "Cannot read video file" in capsys.readouterr().err


def test_outputs_must_differ_and_a_failed_summary_is_named_with_the_files_kept(
    face_video, tmp_path, capsys, monkeypatch
):
    import errno

    import fer_desktop.live.recording as recording

    out, png = tmp_path / "run.csv", tmp_path / "run.png"
    assert main(["video", str(face_video), "--out", str(out), "--summary", str(out)]) == 1
    assert "three different files" in capsys.readouterr().err and not out.exists()

    def full_disk(path, timeline):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(recording, "write_summary_png", full_disk)
    assert main(["video", str(face_video), "--out", str(out), "--summary", str(png)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {png}" in err and f"written: {out}" in err
    assert out.is_file() and not png.exists()
