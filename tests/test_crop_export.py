"""Exported crops: one file per face, under its current label only."""

from __future__ import annotations

import numpy as np

from fer_desktop.labelling.export import crop_file_name, export_crops
from fer_desktop.labelling.rows import STATUS_OK, LabelRow
from fer_desktop.pipeline.faces import Box
from training.contract.labels import CLASS_NAMES


def _row(path: str, face: int = 0, shade: int = 0) -> LabelRow:
    probs = np.eye(len(CLASS_NAMES))[CLASS_NAMES.index("happy")]
    crop = np.full((96, 96, 3), shade, np.uint8)
    return LabelRow(path, STATUS_OK, face, Box(0, 0, 10, 10), probs, "model", crop=crop)


def test_photos_differing_only_by_extension_or_folder_get_their_own_crop(tmp_path):
    rows = [_row("a.jpg", shade=10), _row("a.png", shade=20), _row("x/a.jpg", shade=30),
            _row("x__a.jpg", shade=40)]  # fmt: skip
    names = [crop_file_name(r) for r in rows]
    assert len(set(names)) == len(rows)
    assert export_crops(rows, tmp_path) == 4
    files = sorted((tmp_path / "happy").glob("*.png"))
    assert len(files) == 4


def test_a_corrected_face_moves_to_its_new_label_on_re_export(tmp_path):
    row = _row("a.jpg")
    other = _row("b.jpg")
    export_crops([row, other], tmp_path)
    assert (tmp_path / "happy" / crop_file_name(row)).is_file()
    row.set_human_label("sad")
    export_crops([row, other], tmp_path)
    assert (tmp_path / "sad" / crop_file_name(row)).is_file()
    assert not (tmp_path / "happy" / crop_file_name(row)).exists()
    assert (tmp_path / "happy" / crop_file_name(other)).is_file()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.png")) == sorted(
        [f"sad/{crop_file_name(row)}", f"happy/{crop_file_name(other)}"]
    )
