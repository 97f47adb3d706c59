"""Assemble the live pipeline from model files."""

from __future__ import annotations

from pathlib import Path

from fer_desktop.analyzer import FrameAnalyzer
from fer_desktop.classifier import open_classifier
from fer_desktop.faces import FaceDetector
from fer_desktop.tracking import DEFAULT_SMOOTHING, FaceTracker
from training.preprocess import CROP_MARGIN


def build_analyzer(
    model_path: str | Path,
    smoothing: float = DEFAULT_SMOOTHING,
    margin: float = CROP_MARGIN,
    tf_threads: int | None = None,
) -> FrameAnalyzer:
    classifier = open_classifier(model_path, tf_threads)
    return FrameAnalyzer(FaceDetector(), classifier, FaceTracker(smoothing=smoothing), margin=margin)
