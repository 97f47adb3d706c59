"""A face that fills the photo (a face crop, a close selfie) is found by a second, padded look."""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest

from fer_desktop.cli import main
from fer_desktop.labelling.labeller import find_faces
from fer_desktop.pipeline.faces import FaceDetector


@pytest.fixture(scope="module")
def detector():
    with FaceDetector() as d:
        yield d


@pytest.fixture(scope="module")
def close_up(astronaut_bgr, detector) -> np.ndarray:
    """The astronaut's face cut 10% inside the detector's own box, enlarged: BlazeFace misses it."""
    b = detector.detect(astronaut_bgr)[0]
    dx, dy = round(b.w * 0.1), round(b.h * 0.1)
    crop = astronaut_bgr[b.y + dy : b.y + b.h - dy, b.x + dx : b.x + b.w - dx]
    return cv2.resize(crop, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)


def test_a_face_filling_the_photo_is_found_and_boxed_inside_it(detector, close_up):
    boxes, crops = find_faces(close_up, detector)
    h, w = close_up.shape[:2]
    assert len(boxes) == 1 and boxes[0].w * boxes[0].h > 0.8 * w * h
    assert boxes[0].x >= 0 and boxes[0].x + boxes[0].w <= w and boxes[0].y + boxes[0].h <= h
    assert crops[0].size > 0


def test_a_photo_without_a_face_still_has_none(detector):
    noise = np.random.default_rng(0).integers(0, 255, (240, 320, 3)).astype(np.uint8)
    assert find_faces(noise, detector) == ([], [])


def test_label_classifies_a_close_up_instead_of_reporting_no_face(close_up, tmp_path):
    cv2.imwrite(str(tmp_path / "close_up.png"), close_up)
    out = tmp_path / "out" / "labels.csv"
    assert main(["label", str(tmp_path), "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["status"] for r in rows] == ["ok"] and rows[0]["face_source"] == "detector"


def test_a_padded_look_at_a_coffee_cup_finds_no_face(detector):
    """The second look keeps only boxes covering half the photo: it once saw a face in this cup."""
    from skimage import data

    coffee = np.ascontiguousarray(data.coffee()[:, :, ::-1])
    assert find_faces(coffee, detector) == ([], [])
