"""The Live tab's emotion timeline: every face's dominant emotion, and the selected face's curves.

Thin: :class:`fer_desktop.live.timeline.EmotionTimeline` holds the data and builds the
colour strips; this widget only shows them (pyqtgraph, which imports no TensorFlow).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QHBoxLayout, QWidget

from fer_desktop.live.timeline import CLASS_RGB, DEFAULT_WINDOW_S, EmotionTimeline
from training.contract.labels import CLASS_NAMES

HEIGHT = 170


class TimelineView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFixedHeight(HEIGHT)  # a fixed height: the video above never jumps as faces come and go
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        self.lanes_plot = pg.PlotWidget(background="w")
        self.lanes_plot.setMouseEnabled(x=False, y=False)
        self.lanes_plot.hideButtons()
        self.lanes_plot.setTitle("Faces, last 60 s", size="9pt")
        self.lanes_plot.setToolTip("Each face's emotion over time: colour as on its box, opacity: confidence")
        self.lanes_plot.invertY(True)  # Face 1 on top
        self.lanes_image = pg.ImageItem()
        self.lanes_plot.addItem(self.lanes_image)
        self.highlight = pg.LinearRegionItem(  # the selected face's lane: framed, not tinted like data
            orientation="horizontal", movable=False, brush=pg.mkBrush(0, 0, 0, 0), pen=pg.mkPen("k", width=2)
        )
        self.highlight.setZValue(10)
        self.lanes_plot.addItem(self.highlight)
        self.highlight.hide()
        layout.addWidget(self.lanes_plot, 1)

        self.curves_plot = pg.PlotWidget(background="w")
        self.curves_plot.setMouseEnabled(x=False, y=False)
        self.curves_plot.hideButtons()
        self.curves_plot.setYRange(0, 1, padding=0.02)
        self.curves = {
            name: self.curves_plot.plot(pen=pg.mkPen(CLASS_RGB[i], width=2), name=name)
            for i, name in enumerate(CLASS_NAMES)
        }
        layout.addWidget(self.curves_plot, 1)
        for plot in (self.lanes_plot, self.curves_plot):
            plot.setXRange(-DEFAULT_WINDOW_S, 0, padding=0)
            plot.setLabel("bottom", "seconds")
        self.face_labels: list[str] = []  # the lanes' names, top to bottom (for tests and screen readers)
        self.clear()

    def clear(self) -> None:
        self.lanes_image.clear()
        self.face_labels = []
        self.lanes_plot.getAxis("left").setTicks([[]])
        self.highlight.hide()
        for curve in self.curves.values():
            curve.setData([], [])
        self.curves_plot.setTitle("Selected face", size="9pt")

    def show_timeline(self, timeline: EmotionTimeline, selected_id: int | None) -> None:
        ids, image = timeline.lanes()
        window = timeline.window_s
        for plot in (self.lanes_plot, self.curves_plot):
            plot.setXRange(-window, 0, padding=0)
        if not ids:
            self.clear()
            return
        self.lanes_image.setImage(image.transpose(1, 0, 2), autoLevels=False, levels=(0, 255))
        self.lanes_image.setRect(QRectF(-window, 0, window, len(ids)))
        self.face_labels = [f"▶ Face {i}" if i == selected_id else f"Face {i}" for i in ids]
        ticks = [(row + 0.5, text) for row, text in enumerate(self.face_labels)]
        self.lanes_plot.getAxis("left").setTicks([ticks])
        self.lanes_plot.setYRange(0, len(ids), padding=0)
        if selected_id in ids:
            row = ids.index(selected_id)
            self.highlight.setRegion((row, row + 1))
            self.highlight.show()
        else:
            self.highlight.hide()
        times, probs = timeline.series(selected_id) if selected_id is not None else ([], None)
        for i, curve in enumerate(self.curves.values()):
            curve.setData(times, probs[:, i] if probs is not None else [])
        self.curves_plot.setTitle(
            f"Face {selected_id}: probabilities" if selected_id is not None else "Selected face", size="9pt"
        )
