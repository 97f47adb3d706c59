"""One photo's rows: its faces found, cropped and classified, or why it has none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.labelling.decoding import decode, decoded_photos
from fer_desktop.labelling.rows import FACE_DETECTED, FACE_WHOLE_IMAGE, STATUS_NO_FACE, STATUS_OK, LabelRow
from fer_desktop.pipeline.faces import Box, FaceDetector, crop_face
from training.contract.photos import PhotoError
from training.contract.preprocess import CROP_MARGIN, INPUT_SIZE


class PhotoLabeller:
    """Faces and emotions of one photo.  ``detector=None`` treats each image as a face crop.

    ``whole_image`` names photos (relative paths) a person chose to take whole as the face
    when the detector finds none there.
    """

    def __init__(
        self,
        classifier,
        detector: FaceDetector | None,
        margin: float = CROP_MARGIN,
        whole_image: frozenset[str] = frozenset(),
    ):
        self.classifier = classifier
        self.detector = detector
        self.margin = margin
        self.whole_image = whole_image

    @property
    def detects(self) -> bool:
        return self.detector is not None

    def label(self, rel: str, image: np.ndarray) -> list[LabelRow]:
        boxes, crops = find_faces(image, self.detector, self.margin)
        source = FACE_DETECTED if self.detector is not None else FACE_WHOLE_IMAGE
        if not boxes and rel in self.whole_image:
            boxes, crops = find_faces(image, None)
            source = FACE_WHOLE_IMAGE
        if not boxes:
            return [LabelRow(rel, STATUS_NO_FACE, crop=photo_thumbnail(image))]
        probs = self.classifier.predict(crops)
        return [
            LabelRow(
                rel, STATUS_OK, i, b, p.astype(np.float64), "model", crop=thumbnail(c), face_source=source
            )
            for i, (b, p, c) in enumerate(zip(boxes, probs, crops, strict=True))
        ]

    def label_decoded(self, rel: str, decoded: np.ndarray | PhotoError) -> list[LabelRow]:
        """The rows of one photo as ``read_photo`` left it: its faces, or why it has none."""
        if isinstance(decoded, PhotoError):
            return [LabelRow(rel, f"unreadable: {decoded}")]
        return self.label(rel, decoded)

    def label_path(self, root: Path, rel: str) -> list[LabelRow]:
        """The rows of the photo ``rel`` under ``root``, decoded here (one photo, no helper threads)."""
        return self.label_decoded(rel, decode(root / rel))

    def label_files(self, root: Path, files: list[Path]) -> Iterator[tuple[Path, list[LabelRow]]]:
        """Each file's rows, in order; a file is labelled when its result is asked for."""
        for f, decoded in decoded_photos(files):
            yield f, self.label_decoded(f.relative_to(root).as_posix(), decoded)

    def close(self) -> None:
        """Close the classifier and detector: only for a labeller made by ``open_labeller``
        (the Label tab's classifier is leased, and closed by its engine)."""
        self.classifier.close()
        if self.detector is not None:
            self.detector.close()


def open_labeller(
    model_path: str | Path, detect: bool, margin: float, tf_threads: int | None
) -> PhotoLabeller:
    """A labeller with its own classifier and, with ``detect``, its own face detector.

    Raises ModelLoadError for a model the app refuses, RuntimeError when MediaPipe cannot start.
    """
    from fer_desktop.models.classifier import open_classifier

    classifier = open_classifier(model_path, tf_threads=tf_threads)
    try:
        detector = FaceDetector() if detect else None
    except RuntimeError:
        classifier.close()
        raise
    return PhotoLabeller(classifier, detector, margin)


def label_whole_images(root: Path, rels: list[str], classifier) -> dict[str, list[LabelRow]]:
    """Each photo taken whole as one face (through the same preprocessing as any crop): a person's choice
    for photos where the detector found none."""
    labeller = PhotoLabeller(classifier, None)
    return {rel: labeller.label_path(root, rel) for rel in rels}


def find_faces(
    image: np.ndarray, detector: FaceDetector | None, margin: float = CROP_MARGIN
) -> tuple[list[Box], list[np.ndarray]]:
    """Face boxes and their crops, as ``label`` classifies them (``fer-desktop eval --detect`` too).

    ``detector=None`` takes the whole image as one face crop. A photo without a face gets a
    second look for one that fills it (``FaceDetector.detect_close_up``): users label face
    crops and close selfies too.
    """
    if detector is None:
        h, w = image.shape[:2]
        return [Box(0, 0, w, h)], [image]
    boxes = detector.detect(image) or detector.detect_close_up(image)
    return boxes, [crop_face(image, b, margin) for b in boxes]


def photo_thumbnail(image: np.ndarray) -> np.ndarray:
    """A whole photo in a 96x96 square, its shape kept (grey bars): shown for a photo without a face."""
    h, w = image.shape[:2]
    scale = INPUT_SIZE / max(h, w)
    small = cv2.resize(
        image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    square = np.full((INPUT_SIZE, INPUT_SIZE, 3), 128, np.uint8)
    y, x = (INPUT_SIZE - small.shape[0]) // 2, (INPUT_SIZE - small.shape[1]) // 2
    square[y : y + small.shape[0], x : x + small.shape[1]] = small
    return square


def thumbnail(crop: np.ndarray) -> np.ndarray:
    interp = cv2.INTER_AREA if min(crop.shape[:2]) > INPUT_SIZE else cv2.INTER_LINEAR
    return cv2.resize(crop, (INPUT_SIZE, INPUT_SIZE), interpolation=interp)
