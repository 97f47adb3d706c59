"""The Label tab's grid model finds a face by identity, never by comparing arrays."""

from __future__ import annotations

import numpy as np

from fer_desktop.labelling.rows import STATUS_OK, LabelRow
from fer_desktop.pipeline.faces import Box
from fer_desktop.ui.models.face_grid_model import FaceListModel


def test_equal_rows_are_told_apart_by_identity(qtbot):
    crop = np.zeros((96, 96, 3), np.uint8)
    first, second = (
        LabelRow("a.jpg", STATUS_OK, 0, Box(1, 2, 3, 4), np.full(7, 1 / 7), "model", crop=crop)
        for _ in range(2)
    )
    model = FaceListModel()
    model.add_rows([first, second])
    changed = []
    model.dataChanged.connect(lambda top, _bottom, *_: changed.append(top.row()))
    second.set_human_label("sad")
    model.rows_changed([second])  # list.index would compare the probability arrays and raise
    assert changed == [1]
    assert model.row_of(first) == 0
