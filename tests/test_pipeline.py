"""The plain-Python pipeline on real face photos: no Qt involved."""

from __future__ import annotations

import numpy as np
import pytest

from fer_desktop.pipeline.faces import Box, crop_face, square_crop_box
from fer_desktop.pipeline.frame import Frame
from training.contract.labels import CLASS_NAMES


def test_astronaut_face_is_found_and_classified(engine, astronaut_bgr):
    analyzer = engine.get()
    analyzer.tracker.reset()
    result = analyzer.analyze(Frame(astronaut_bgr, 0, 0.0))
    assert len(result.faces) == 1
    face = result.faces[0]
    # Her face sits around x 170-290, y 60-200 in the 512x512 photo.
    cx, cy = face.box.x + face.box.w / 2, face.box.y + face.box.h / 2
    assert 170 < cx < 290 and 60 < cy < 200
    assert face.probs.shape == (len(CLASS_NAMES),)
    assert face.probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert face.emotion in CLASS_NAMES
    assert face.confidence == pytest.approx(float(face.probs.max()))


def test_several_faces_in_one_frame(engine, three_face_frame):
    analyzer = engine.get()
    analyzer.tracker.reset()
    result = analyzer.analyze(Frame(three_face_frame, 0, 0.0))
    assert len(result.faces) == 3
    assert len({f.track_id for f in result.faces}) == 3
    xs = sorted(f.box.x for f in result.faces)
    assert xs[0] < 200 < xs[1] < 420 < xs[2]
    for face in result.faces:
        assert face.probs.sum() == pytest.approx(1.0, abs=1e-5)


def test_frame_without_face(engine):
    from skimage import data

    analyzer = engine.get()
    rocket = np.ascontiguousarray(data.coffee()[:, :, ::-1])
    result = analyzer.analyze(Frame(rocket, 0, 0.0))
    assert result.faces == []
    blank = analyzer.analyze(Frame(np.zeros((480, 640, 3), np.uint8), 1, 0.03))
    assert blank.faces == []


def test_batched_inference_matches_single(engine, face_crop, astronaut_bgr):
    clf = engine.get().classifier
    crops = [face_crop, astronaut_bgr[:200, :200], face_crop[:, ::-1]]
    batch = clf.predict(crops)
    singles = np.concatenate([clf.predict([c]) for c in crops])
    np.testing.assert_allclose(batch, singles, atol=1e-5)


@pytest.mark.parametrize(
    ("box", "shape", "expect"),
    [
        (Box(100, 100, 50, 50), (480, 640), (90, 90, 160, 160)),  # margin added, square
        (Box(0, 0, 40, 60), (480, 640), (0, 0, 84, 84)),  # clamped at the top-left border
        (Box(600, 440, 40, 40), (480, 640), (584, 424, 640, 480)),  # clamped at bottom-right
        (Box(0, 0, 600, 400), (300, 200), (0, 100, 200, 300)),  # never larger than the image
    ],
)
def test_square_crop_box(box, shape, expect):
    x0, y0, x1, y1 = square_crop_box(box, shape, margin=0.2)
    assert (x0, y0, x1, y1) == expect
    assert x1 - x0 == y1 - y0


def test_crop_face_returns_square_view(astronaut_bgr):
    crop = crop_face(astronaut_bgr, Box(180, 80, 100, 120))
    assert crop.shape[0] == crop.shape[1] > 120


def test_model_switches_leave_no_classifier_open(model_path, astronaut_bgr, monkeypatch):
    from fer_desktop.models import classifier as classifier_module
    from fer_desktop.pipeline.engine import AnalyzerEngine

    opened = []
    real_open = classifier_module.open_classifier

    def tracking_open(path, tf_threads=None):
        opened.append(real_open(path, tf_threads))
        return opened[-1]

    monkeypatch.setattr(classifier_module, "open_classifier", tracking_open)
    eng = AnalyzerEngine(model_path)
    assert eng.use_model(model_path) is True  # accepted, before anything was built
    assert opened[0]._classifier is None  # the probe was closed
    try:
        result = eng.get().analyze(Frame(astronaut_bgr, 0, 0.0))
        assert [f.emotion for f in result.faces] == ["happy"]
        replaced = eng.classifier
        eng.use_model(model_path)
        assert eng.classifier is opened[-1] and replaced._classifier is None  # nobody used it: closed
        assert eng.retired_count == 0
        # A labelling run's classifier stays open through a swap, and is closed when the run ends.
        with eng.lease_classifier() as leased:
            eng.use_model(model_path)
            assert eng.classifier is not leased and leased._classifier is not None
            assert leased.predict_batch(np.zeros((1, 96, 96, 3), np.uint8)).shape == (1, 7)
            assert eng.retired_count == 1
        assert leased._classifier is None and eng.retired_count == 0
        # A load overtaken by a newer request is dropped: only the newest request wins.
        first, second = eng.new_ticket(), eng.new_ticket()
        current = eng.classifier
        assert eng.use_model(model_path, first) is False and eng.classifier is current
        assert opened[-1]._classifier is None
        assert eng.use_model(model_path, second) is True and eng.classifier is opened[-1]
    finally:
        eng.close()
    assert opened[-1]._classifier is None


def test_the_pipeline_depends_on_no_feature_package():
    """Frames, faces, tracking, the analyzer and its engine: the live, labelling and personal
    features and the GUI build on the pipeline, never the other way round."""
    import ast
    from pathlib import Path

    import fer_desktop.pipeline

    features = ("fer_desktop.live", "fer_desktop.labelling", "fer_desktop.personal", "fer_desktop.ui")
    imported = set()
    for path in Path(fer_desktop.pipeline.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add((path.name, node.module))
            elif isinstance(node, ast.Import):
                imported.update((path.name, alias.name) for alias in node.names)
    assert imported, "no imports found: the walk is broken"
    assert [(f, m) for f, m in imported if m.startswith(features)] == []
