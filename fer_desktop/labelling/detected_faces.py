"""A labelled photo tree seen end to end: faces found and cropped the way ``label`` does.

``fer-desktop eval --detect`` scores what a user gets from a photo (decoding,
face detection, crop framing, classification), not only the classifier on
crops someone else framed.  Photos are decoded by :mod:`training.contract.photos`
and faces found and cropped by :func:`fer_desktop.labelling.labeller.find_faces`, the
same code as ``label``; the largest face of each photo is the one scored.  A
photo without a face is kept as a count per true class: evaluation scores it
as wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fer_desktop.labelling.decoding import decoded_photos
from fer_desktop.labelling.labeller import find_faces
from fer_desktop.pipeline.faces import FaceDetector
from training.contract.labels import NUM_CLASSES
from training.contract.photos import PhotoError
from training.contract.preprocess import CROP_MARGIN, INPUT_SHAPE, to_model_input
from training.datasets import DatasetError, LabeledImages, OnError, labelled_files

log = logging.getLogger(__name__)


@dataclass
class DetectedFaces:
    """The largest face of every photo that has one, and the photos that have none."""

    faces: LabeledImages  # model inputs of the faces found, with their photos' labels
    no_face: np.ndarray  # (7,) photos without a face, per true class
    no_face_paths: list[str] = field(default_factory=list)

    @property
    def photos(self) -> int:
        return len(self.faces) + int(self.no_face.sum())


def detect_labelled_faces(
    path: str | Path,
    split: str,
    detector: FaceDetector,
    margin: float = CROP_MARGIN,
    on_error: OnError = "raise",
    on_progress: Callable[[int, int], None] | None = None,
) -> DetectedFaces:
    """Find, crop and prepare the largest face of each photo of ``split`` under ``path``."""
    files = labelled_files(path, split, on_error)
    labels_of = dict(files)
    images, labels, paths, skipped = [], [], [], []
    no_face = np.zeros(NUM_CLASSES, dtype=np.int64)
    no_face_paths: list[str] = []
    for done, (photo, decoded) in enumerate(decoded_photos([f for f, _ in files]), start=1):
        label = labels_of[photo]
        if isinstance(decoded, PhotoError):
            if on_error == "raise":
                raise DatasetError(f"{photo}: {decoded}")
            skipped.append((str(photo), str(decoded)))
            continue
        boxes, crops = find_faces(decoded, detector, margin)
        if not boxes:
            no_face[label] += 1
            no_face_paths.append(str(photo))
        else:
            largest = max(range(len(boxes)), key=lambda i: boxes[i].area)
            images.append(to_model_input(crops[largest]))
            labels.append(label)
            paths.append(str(photo))
        if on_progress is not None:
            on_progress(done, len(files))
    if skipped:
        log.warning("%s: skipped %d unreadable photo(s)", path, len(skipped))
    stacked = np.stack(images) if images else np.zeros((0, *INPUT_SHAPE), dtype=np.uint8)
    faces = LabeledImages(stacked, np.asarray(labels, dtype=np.int64), paths, skipped)
    return DetectedFaces(faces, no_face, no_face_paths)
