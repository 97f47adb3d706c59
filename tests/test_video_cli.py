"""``fer-desktop video``: the same pipeline, headless, into a CSV."""

from __future__ import annotations

import csv

import pytest

from fer_desktop.cli import main
from training.labels import CLASS_NAMES


def test_video_command_writes_one_row_per_face_per_frame(face_video, tmp_path, capsys):
    out = tmp_path / "per_frame.csv"
    assert main(["video", str(face_video), "--out", str(out)]) == 0
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0].keys())
    for column in ["frame", "time", "x", "y", "w", "h", "emotion", "confidence", *CLASS_NAMES]:
        assert column in header
    assert len(rows) >= 55  # one face in (nearly) every one of the 60 frames
    assert len({r["frame"] for r in rows}) == len(rows)
    for r in rows:
        assert r["emotion"] in CLASS_NAMES
        probs = [float(r[c]) for c in CLASS_NAMES]
        assert sum(probs) == pytest.approx(1.0, abs=1e-3)
        assert float(r["confidence"]) == pytest.approx(max(probs), abs=1e-4)
    assert float(rows[-1]["time"]) == pytest.approx(int(rows[-1]["frame"]) / 30.0, abs=1e-3)
    assert "60/60 (100%)" in capsys.readouterr().err


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
