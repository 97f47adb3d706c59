"""Distillation targets: the training labels blended with teachers' averaged predictions.

Several models trained on different label blends trade FER2013 accuracy for
in-the-wild accuracy point for point; averaged, their mirrored predictions are
softer and more accurate than any one of them.  Training the shipped size on
that average keeps one model's cost at run time (the issue's "several runs
ensembled and distilled into one model").  Teachers see the training split only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from training.contract.labels import NUM_CLASSES
from training.datasets import DatasetError, LabeledImages

log = logging.getLogger(__name__)


def teacher_probabilities(teachers: Sequence[str | Path], images: np.ndarray) -> np.ndarray:
    """Mean of the teachers' mirror-averaged class probabilities, (N, 7) float32."""
    from training.evaluate import predict_probs
    from training.model import load_model

    total = np.zeros((len(images), NUM_CLASSES), dtype=np.float64)
    for path in teachers:
        total += predict_probs(load_model(path), images, tta=True)
        log.info("teacher %s: %d predictions", path, len(images))
    return (total / len(teachers)).astype(np.float32)


def with_teachers(data: LabeledImages, teachers: Sequence[str | Path], weight: float) -> LabeledImages:
    """``data`` with targets ``(1 - weight) * own targets + weight * teachers' mean``."""
    if not 0.0 < weight <= 1.0:
        raise DatasetError(f"teacher weight {weight} is not in (0, 1]")
    teacher = teacher_probabilities(teachers, data.images)
    out = data.subset(np.arange(len(data)))
    out.soft = ((1.0 - weight) * data.targets() + weight * teacher).astype(np.float32)
    return out
