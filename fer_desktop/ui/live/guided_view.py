"""The guided calibration in the calibration panel: the step, its hint, the countdown, the controls.

Thin: :class:`fer_desktop.personal.guided.GuidedRun` holds the run and its rules; this
widget starts it on its ``clock``, hands it each crop of the selected face, forwards Skip,
Redo and Cancel, and draws its :class:`~fer_desktop.personal.guided.GuidedView`.  Tests
set ``clock``, ``timings`` and ``steps`` before starting.  Once the run has ended the view
stays, saying how it ended, until "Back to my photos": the panel's Fine-tune now and Use
this model sit right below it.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fer_desktop.personal.captures import CalibrationStore
from fer_desktop.personal.guided import CAPTURE, STEPS, TIMINGS, GuidedRun, GuidedView
from fer_desktop.pipeline.faces import CROP_MARGIN, Box, crop_face
from training.contract.wording import count

REDRAW_MS = 100  # the countdown's redraw while a run is on


class GuidedCalibrationView(QWidget):
    captured = Signal(str)  # path of a new photo (calibration or check)
    message = Signal(str)
    ended = Signal()  # the run has ended (done, cancelled or failed)
    left = Signal()  # "Back to my photos"

    def __init__(
        self, store: CalibrationStore, check_store: CalibrationStore, clock=time.monotonic, parent=None
    ):
        super().__init__(parent)
        self.store, self.check_store = store, check_store
        self.clock, self.timings, self.steps = clock, TIMINGS, STEPS
        self.run: GuidedRun | None = None
        self._timer = QTimer(self, interval=REDRAW_MS, timeout=self._show)
        self._build()

    def _build(self) -> None:
        self.progress_label = QLabel()
        self.title_label = QLabel()
        self.title_label.setFont(_font(self.title_label, 1.0))
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        self.big_label = QLabel()
        self.big_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.big_label.setWordWrap(True)
        self._big_font, self._end_font = _font(self.big_label, 2.0), QFont(self.big_label.font())
        self.face_label = QLabel()  # photos of this step, or "No face selected" while one is needed
        self.skip_button = QPushButton("Skip step")
        self.redo_button = QPushButton("Redo step")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("End the guided calibration; the photos taken so far are kept")
        self.back_button = QPushButton("Back to my photos")  # once the run has ended
        self.back_button.setToolTip("The free capture: thumbnails, keys 1–7, Delete")

        head = QHBoxLayout()
        head.addWidget(self.title_label, 1)
        head.addWidget(self.progress_label)
        buttons = QHBoxLayout()
        for button in (self.skip_button, self.redo_button, self.cancel_button, self.back_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.big_label)
        layout.addWidget(self.face_label)
        layout.addLayout(buttons)

        self.skip_button.clicked.connect(lambda: self._do(lambda run, now: run.skip(now)))
        self.redo_button.clicked.connect(self.redo)
        self.cancel_button.clicked.connect(lambda: self._do(lambda run, _now: run.cancel()))
        self.back_button.clicked.connect(self.leave)

    def active(self) -> bool:
        return self.run is not None and self.run.active

    def start(self) -> None:
        self.run = GuidedRun(self.store, self.check_store, self.clock(), self.timings, self.steps)
        self._timer.start()
        self._show()
        full = self.run.full_text()
        if full:
            self.message.emit(f"{full[0].upper()}{full[1:]}.")

    def offer(self, image: np.ndarray, box: Box | None, track: int | None = None) -> None:
        """A shown frame and the selected face's box (or None) and track id: stored only inside a
        capture phase, and only of the face selected when the step began."""
        if not self.active():
            return
        if box is not None:
            path = self.run.offer(crop_face(image, box, CROP_MARGIN), self.clock(), track, box)
            if path is not None:
                self.captured.emit(str(path))
        self._show()

    def cancel(self, reason: str = "") -> None:
        """End a run still on (the source stopped: ``reason``); its photos are kept."""
        self._do(lambda run, _now: run.cancel(reason))

    def redo(self) -> None:
        deleted = self._do(lambda run, now: run.redo(now))
        if deleted:
            self.message.emit(f"{count(deleted, 'photo')} of this step deleted; the step starts again.")

    def leave(self) -> None:
        """Back to the free capture (a run still on is cancelled first: its photos stay)."""
        self._do(lambda run, _now: run.cancel())
        self.run = None
        self.left.emit()

    def stop(self) -> None:
        self._timer.stop()

    def _do(self, action):
        if not self.active():
            return None
        done = action(self.run, self.clock())
        self._show()
        return done

    def _show(self) -> None:
        """Draw the run at this moment; the first time it has ended, say so (``ended``, ``message``)."""
        if self.run is None:
            return
        view = self.run.view(self.clock())
        self.show_state(view)
        if view.active or not self._timer.isActive():
            return
        self._timer.stop()
        if view.message:
            self.message.emit(view.message)
        self.ended.emit()

    def show_state(self, view: GuidedView) -> None:
        self.progress_label.setText(view.progress)
        self.title_label.setText(view.title)
        self.hint_label.setText(view.hint)
        self.hint_label.setVisible(bool(view.hint))
        self.big_label.setText(view.big)
        self.big_label.setFont(self._big_font if view.active else self._end_font)  # the summary: plain
        photos = count(view.photos, "photo") + " taken" if view.phase == CAPTURE else ""
        no_face = view.active and not view.face
        self.face_label.setText(view.note or ("No face selected: look at the camera" if no_face else photos))
        self.redo_button.setToolTip(
            f"Redo “{view.redo_title}”: delete the photos it took in this run, then repeat it"
        )
        for button in (self.skip_button, self.redo_button, self.cancel_button):
            button.setVisible(view.active)
        self.back_button.setVisible(not view.active)


def _font(label: QLabel, scale: float) -> QFont:
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(True)
    return font
