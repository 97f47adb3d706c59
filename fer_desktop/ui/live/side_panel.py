"""The Live tab's side column: the selected face's probabilities, the run's numbers, the model, calibration.

Its own module so the tab keeps to running the source and drawing the session; the column
only lays its widgets out and shows the lines :class:`fer_desktop.live.session.LiveSession`
gives it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QStyle, QVBoxLayout, QWidget

from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.live.calibration_panel import CalibrationPanel
from fer_desktop.ui.widgets.probability_panel import ProbabilityPanel

SIDE_WIDTH = 330  # at least; fixed: the side panel never resizes with its numbers, so the video stays put


class LiveSidePanel(QScrollArea):
    """A fixed-width column that scrolls on short screens rather than forcing the window taller."""

    def __init__(self, engine: AnalyzerEngine, shortcut_host: QWidget, parent=None):
        """``shortcut_host``: the widget whose keys 1-7 pick a calibration emotion (the Live tab)."""
        super().__init__(parent)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.panel = ProbabilityPanel()
        self.source_label = QLabel("No source")
        self.source_label.setWordWrap(True)
        self.faces_label = QLabel()
        self.fps_label = QLabel()
        self.latency_label = QLabel()
        for label in (self.faces_label, self.fps_label, self.latency_label):
            label.setFont(fixed)  # fixed-width figures: nothing moves as they change
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        self.content = QWidget()
        side = QVBoxLayout(self.content)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.panel)
        labels = (self.source_label, self.faces_label, self.fps_label, self.latency_label, self.model_label)
        for label in labels:
            side.addWidget(label)
        side.addStretch(1)
        self.calibration = CalibrationPanel(engine, shortcut_host=shortcut_host)
        side.addWidget(self.calibration)
        self.content.setFixedWidth(max(SIDE_WIDTH, self.calibration.sizeHint().width()))
        self.setWidget(self.content)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scrollbar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.setFixedWidth(self.content.width() + scrollbar + 2)
        self.setWidgetResizable(True)

    def show_stats(self, faces: str, fps: str | None, latency: str) -> None:
        """The session's stats lines; ``fps`` None leaves the FPS line as it was (one frame so far)."""
        self.faces_label.setText(faces)
        if fps is not None:
            self.fps_label.setText(fps)
        self.latency_label.setText(latency)

    def show_no_face(self) -> None:
        """The probabilities of no face: nothing of an earlier frame stays as if it were current."""
        self.panel.setTitle("No face")
        self.panel.clear()
