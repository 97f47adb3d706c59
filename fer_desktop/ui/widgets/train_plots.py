"""Live accuracy and loss curves (pyqtgraph)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget

SERIES = {
    "accuracy": ("accuracy", "train", "#1f77b4"),
    "val_accuracy": ("accuracy", "validation", "#ff7f0e"),
    "loss": ("loss", "train", "#1f77b4"),
    "val_loss": ("loss", "validation", "#ff7f0e"),
}


class TrainingPlots(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        self.plots: dict[str, pg.PlotWidget] = {}
        for metric in ("accuracy", "loss"):
            plot = pg.PlotWidget(background="w")
            plot.setTitle(metric)
            plot.setLabel("bottom", "epoch")
            plot.addLegend()
            plot.showGrid(x=True, y=True, alpha=0.3)
            layout.addWidget(plot)
            self.plots[metric] = plot
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.points: dict[str, tuple[list[float], list[float]]] = {}
        self.clear()

    def clear(self) -> None:
        for plot in self.plots.values():
            plot.clear()
        self.curves = {}
        self.points = {}
        for key, (metric, name, colour) in SERIES.items():
            self.curves[key] = self.plots[metric].plot(
                [], [], name=name, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=6, symbolBrush=colour
            )
            self.points[key] = ([], [])

    def add_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        for key, curve in self.curves.items():
            if key in logs:
                xs, ys = self.points[key]
                xs.append(epoch)
                ys.append(logs[key])
                curve.setData(xs, ys)
