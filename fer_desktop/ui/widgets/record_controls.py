"""Record: the Live tab's button, options and indicator around a :class:`LiveRecorder`.

Thin: the recorder (no Qt) writes on its own thread; this widget starts and stops it,
shows a red dot with the elapsed time while it runs, and reports where the files went
or, on a write error, why it stopped.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QWidget

from fer_desktop.live.live_recorder import LiveRecorder, RecordingError
from fer_desktop.pipeline.analyzer import FrameResult
from fer_desktop.ui.dialogs import pick_folder

POLL_MS = 250


class RecordControls(QWidget):
    message = Signal(str)
    saved = Signal(list)  # the finished recording's files

    def __init__(self, folder: Path, video: bool = False, parent=None):
        super().__init__(parent)
        self.folder = Path(folder)
        self.fps = 30.0  # the video's frame rate: the tab sets the source's own
        self.recorder: LiveRecorder | None = None
        self._started = 0.0
        self._finishing: list[LiveRecorder] = []
        self.record_button = QPushButton("Record")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Save this session: faces per frame as CSV, and the video if ticked")
        self.video_box = QCheckBox("with video")
        self.video_box.setChecked(video)
        self.video_box.setToolTip("Also save the annotated video (MP4)")
        self.folder_button = QPushButton("Folder…")
        self._show_folder()
        self.indicator = QLabel()
        self.indicator.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.indicator.setFixedWidth(self.indicator.fontMetrics().horizontalAdvance("● REC 00:00:00") + 8)
        self.indicator.setStyleSheet("color: #d00000; font-weight: bold")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.record_button, self.video_box, self.folder_button, self.indicator):
            layout.addWidget(w)
        self.record_button.toggled.connect(self._toggled)
        self.folder_button.clicked.connect(self._choose_folder)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._poll)

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    def add(self, result: FrameResult, annotated: np.ndarray) -> None:
        """A frame as shown; queued for the writer thread (returns at once)."""
        if self.recorder is not None:
            self.recorder.add(result, annotated)

    def start(self) -> None:
        self.record_button.setChecked(True)

    def stop(self) -> None:
        """Finalise the files (on the recorder's thread) and turn the button off."""
        self.record_button.setChecked(False)

    def _toggled(self, on: bool) -> None:
        if on and self.recorder is None:
            try:
                self.recorder = LiveRecorder(self.folder, video=self.video_box.isChecked(), fps=self.fps)
            except RecordingError as exc:
                self.message.emit(str(exc))
                self.record_button.setChecked(False)
                return
            self._started = time.monotonic()
            self.video_box.setEnabled(False)
            self.folder_button.setEnabled(False)
            self.timer.start()
            self._poll()
            self.message.emit(f"Recording to {self.recorder.csv_path.parent}")
        elif not on and self.recorder is not None:
            recorder, self.recorder = self.recorder, None
            recorder.stop()
            self._finishing.append(recorder)
            self.video_box.setEnabled(True)
            self.folder_button.setEnabled(True)
            self._poll()

    def _poll(self) -> None:
        if self.recorder is not None:
            if self.recorder.error is not None:  # the writer stopped itself: full disk, folder gone
                self.stop()
            else:
                s = int(time.monotonic() - self._started)
                self.indicator.setText(f"● REC {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}")
        if self.recorder is None:
            self.indicator.setText("")
        for recorder in [r for r in self._finishing if r.finished]:
            self._finishing.remove(recorder)
            if recorder.error is not None:
                self.message.emit(recorder.error)
            else:
                self.message.emit("Recording saved: " + ", ".join(str(p) for p in recorder.paths))
                self.saved.emit(recorder.paths)
        if self.recorder is None and not self._finishing:
            self.timer.stop()

    def _choose_folder(self) -> None:
        path = pick_folder(self, "Save recordings in", self.folder)
        if path:
            self.folder = Path(path)
            self._show_folder()

    def _show_folder(self) -> None:
        self.folder_button.setToolTip(f"Recordings go to {self.folder}")

    def shutdown(self) -> None:
        """On close: finalise any recording; its thread finishes the files even as the app exits."""
        self.stop()
