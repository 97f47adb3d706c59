"""The faces a person checked in the Label tab, for ``fer-desktop label --checked-only``.

The command labels as always; only its crops (a training dataset) are limited to the faces
whose label a person confirmed or corrected in the Label tab, with the person's label. The
CSV and JSON stay the model's answers, so the next run's reuse is not confused by them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fer_desktop.labelling.corrections import CorrectionStore
from fer_desktop.labelling.export import checked_rows
from fer_desktop.labelling.labeller import thumbnail
from fer_desktop.labelling.rows import FACE_WHOLE_IMAGE, STATUS_OK, LabelRow
from fer_desktop.pipeline.faces import crop_face
from training.contract.photos import PhotoError, read_photo


def checked_crops(root: Path, rows: list[LabelRow], margin: float) -> list[LabelRow]:
    """Copies of the faces of ``rows`` that a person checked for the folder ``root``, each with
    the person's label and a crop (a face reused from the previous run has none yet)."""
    store = CorrectionStore(root)
    copies = [dataclasses.replace(r) for r in rows if r.status == STATUS_OK]
    store.attach(copies)
    faces = checked_rows(copies)
    for face in faces:
        if face.crop is None:
            face.crop = _crop_again(root, face, margin)
    return [f for f in faces if f.crop is not None]


def _crop_again(root: Path, face: LabelRow, margin: float):
    """The face's thumbnail cut from its photo again, as the run that found it cut it."""
    try:
        image = read_photo(root / face.path)
    except PhotoError:
        return None
    if face.face_source == FACE_WHOLE_IMAGE or face.box is None:
        return thumbnail(image)
    return thumbnail(crop_face(image, face.box, margin))
