"""Playback controls for a video file or a folder of photos, over a :class:`PlaybackControl`.

Thin: every button is one thread-safe call on the run's control object, which the
frame grabber's thread obeys; nothing here waits for the worker.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from fer_desktop.live.playback import PlaybackControl, SourceInfo
from fer_desktop.settings import FOLDER_PACE_RANGE


class PlaybackBar(QWidget):
    def __init__(self, loop: bool = False, pace_s: float = 1.0, parent=None):
        super().__init__(parent)
        self.control: PlaybackControl | None = None
        self.info: SourceInfo | None = None
        self._updating = False
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Pause or resume (Space)")
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("One frame forward (while paused)")
        self.prev_button = QPushButton("◀ Previous")
        self.next_button = QPushButton("Next ▶")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.position_label = QLabel()
        self.position_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        metrics = self.position_label.fontMetrics()
        self.position_label.setFixedWidth(metrics.horizontalAdvance("00:00:00.0 / 00:00:00.0") + 8)
        self.loop_box = QCheckBox("Loop")
        self.loop_box.setChecked(loop)
        self.pace = QDoubleSpinBox()
        self.pace.setRange(*FOLDER_PACE_RANGE)
        self.pace.setSingleStep(0.5)
        self.pace.setDecimals(1)
        self.pace.setSuffix(" s per photo")
        self.pace.setValue(pace_s)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.pause_button, self.step_button, self.prev_button, self.next_button):
            layout.addWidget(w)
        layout.addWidget(self.slider, 1)
        for w in (self.position_label, self.loop_box, self.pace):
            layout.addWidget(w)

        self.pause_button.clicked.connect(self.toggle_pause)
        self.step_button.clicked.connect(lambda: self.control and self.control.step())
        self.next_button.clicked.connect(lambda: self.control and self.control.step())
        self.prev_button.clicked.connect(lambda: self.control and self.control.previous())
        self.loop_box.toggled.connect(lambda on: self.control and self.control.set_loop(on))
        self.pace.valueChanged.connect(lambda v: self.control and self.control.set_folder_pace(v))
        self.slider.sliderReleased.connect(lambda: self._seek(self.slider.value()))
        self.slider.valueChanged.connect(self._slider_moved)
        self.attach(None, None)

    def new_control(self) -> PlaybackControl:
        """A control for a new run, with this bar's loop and pace."""
        return PlaybackControl(loop=self.loop_box.isChecked(), folder_pace_s=self.pace.value())

    def attach(self, control: PlaybackControl | None, info: SourceInfo | None) -> None:
        """Bind to a run's control once its source is open (None, None: no source, or a camera)."""
        self.control, self.info = control, info
        seekable = bool(info and info.seekable)
        folder = bool(info and info.folder)
        for w in (self.pause_button, self.slider, self.loop_box):
            w.setEnabled(seekable)
        self.step_button.setVisible(not folder)
        self.prev_button.setVisible(folder)
        self.next_button.setVisible(folder)
        self.pace.setVisible(folder)
        self.prev_button.setEnabled(folder)
        self.next_button.setEnabled(folder)
        self._updating = True
        self.slider.setRange(0, max(0, (info.frame_count - 1) if info else 0))
        self.slider.setValue(0)
        self._updating = False
        self.position_label.setText("")
        self._show_paused()

    def toggle_pause(self) -> None:
        if self.control is not None and self.info is not None and self.info.seekable:
            self.control.toggle_pause()
            self._show_paused()

    @property
    def paused(self) -> bool:
        return self.control is not None and self.control.paused

    def _show_paused(self) -> None:
        self.pause_button.setText("Resume" if self.paused else "Pause")
        self.step_button.setEnabled(self.paused)

    def show_position(self, index: int, seconds: float) -> None:
        """The shown frame: the slider follows unless the user is dragging it."""
        if self.info is None or not self.info.seekable:
            return
        if not self.slider.isSliderDown():
            self._updating = True
            self.slider.setValue(index)
            self._updating = False
        if self.info.folder:
            self.position_label.setText(f"{index + 1} / {self.info.frame_count}")
        else:
            total = self.info.frame_count / self.info.fps if self.info.fps else 0.0
            self.position_label.setText(f"{clock(seconds)} / {clock(total)}")

    def _slider_moved(self, value: int) -> None:
        if not self._updating and not self.slider.isSliderDown():  # a click on the groove, or a key
            self._seek(value)

    def _seek(self, value: int) -> None:
        if self.control is not None:
            self.control.seek(value)


def clock(seconds: float) -> str:
    """``h:mm:ss.s``, fixed width up to ten hours."""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}.{int(seconds * 10) % 10}"
