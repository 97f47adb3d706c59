"""Seven labelled bars: the probabilities of the selected face, each name in its overlay colour."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QProgressBar

from fer_desktop.live.timeline import CLASS_RGB
from training.contract.labels import CLASS_NAMES


class ProbabilityPanel(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Selected face", parent)
        layout = QGridLayout(self)
        layout.setVerticalSpacing(2)  # compact: the Live tab's side column fits the default window
        self.bars: dict[str, QProgressBar] = {}
        for row, name in enumerate(CLASS_NAMES):
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            bar.setFormat("%p%")
            r, g, b = CLASS_RGB[row]
            # The class's colour on the boxes and the timeline: this panel is their key.
            label = QLabel(f'<span style="color: rgb({r},{g},{b})">■</span> {name}')
            layout.addWidget(label, row, 0)
            layout.addWidget(bar, row, 1)
            self.bars[name] = bar
        self.clear()

    def set_probabilities(self, probs: np.ndarray) -> None:
        for name, p in zip(CLASS_NAMES, probs, strict=True):
            self.bars[name].setValue(round(float(p) * 1000))

    def values(self) -> dict[str, float]:
        return {name: bar.value() / 1000.0 for name, bar in self.bars.items()}

    def clear(self) -> None:
        for bar in self.bars.values():
            bar.setValue(0)
