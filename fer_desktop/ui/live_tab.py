"""The Live tab: a source, the annotated frame, the selected face's probabilities."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fer_desktop.analyzer import AnalyzerEngine, FrameResult
from fer_desktop.overlay import draw_results
from fer_desktop.paths import snapshots_dir
from fer_desktop.snapshots import save_snapshot
from fer_desktop.ui.calibration_panel import CalibrationPanel
from fer_desktop.ui.frame_view import FrameView
from fer_desktop.ui.live_worker import LiveWorker
from fer_desktop.ui.probability_panel import ProbabilityPanel
from fer_desktop.ui.runs import WorkerSlot

VIDEO_FILTER = "Videos (*.mp4 *.avi *.mov *.mkv *.webm *.m4v);;All files (*)"


class LiveTab(QWidget):
    result_shown = Signal(object)  # FrameResult, after it has been drawn
    message = Signal(str)  # for the status bar

    def __init__(self, engine: AnalyzerEngine, source: str = "0", parent=None):
        super().__init__(parent)
        self.engine = engine
        self.source_spec = source
        self.runs = WorkerSlot()
        self.selected_id: int | None = None
        self.last_annotated: np.ndarray | None = None
        self.last_result: FrameResult | None = None
        self.snapshot_dir = snapshots_dir()
        self._arrivals: deque[float] = deque(maxlen=30)
        self._build()

    def _build(self) -> None:
        self.camera_index = QSpinBox()
        self.camera_index.setRange(0, 16)
        self.camera_button = QPushButton("Camera")
        self.video_button = QPushButton("Open video…")
        self.folder_button = QPushButton("Open folder…")
        self.start_button = QPushButton("Start")
        self.mirror_box = QCheckBox("Mirror")
        self.snapshot_button = QPushButton("Snapshot")
        self.snapshot_button.setEnabled(False)
        self.reconnect_button = QPushButton("Reconnect")
        self.reconnect_button.setToolTip("Open the same source again")
        self.reconnect_button.setVisible(False)
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(0, 95)
        self.smoothing_slider.setValue(round(self.engine.smoothing * 100))
        self.smoothing_slider.setToolTip("How much each face's probabilities are averaged over time")
        self.smoothing_slider.setMaximumWidth(120)

        controls = QHBoxLayout()
        for w in (
            QLabel("Camera #"),
            self.camera_index,
            self.camera_button,
            self.video_button,
            self.folder_button,
            self.start_button,
            self.reconnect_button,
            self.mirror_box,
            self.snapshot_button,
            QLabel("Smoothing"),
            self.smoothing_slider,
        ):
            controls.addWidget(w)
        controls.addStretch(1)

        self.view = FrameView()
        self.panel = ProbabilityPanel()
        self.source_label = QLabel("No source")
        self.fps_label = QLabel("FPS –")
        self.latency_label = QLabel("Latency –")
        self.faces_label = QLabel("Faces –")
        self.model_label = QLabel(f"Model: {model_name(self.engine.model_path)}")
        self.model_label.setWordWrap(True)
        side = QVBoxLayout()
        side.addWidget(self.panel)
        labels = (self.source_label, self.faces_label, self.fps_label, self.latency_label, self.model_label)
        for label in labels:
            side.addWidget(label)
        side.addStretch(1)
        self.calibration = CalibrationPanel(self.engine, shortcut_host=self)
        self.calibration.message.connect(self.message)
        side.addWidget(self.calibration)
        body = QHBoxLayout()
        body.addWidget(self.view, 1)
        body.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(body, 1)

        self.camera_button.clicked.connect(lambda: self.start(str(self.camera_index.value())))
        self.video_button.clicked.connect(self._choose_video)
        self.folder_button.clicked.connect(self._choose_folder)
        self.start_button.clicked.connect(self._toggle)
        self.reconnect_button.clicked.connect(lambda: self.start())
        self.mirror_box.toggled.connect(self._set_mirror)
        self.snapshot_button.clicked.connect(self.snapshot)
        self.smoothing_slider.valueChanged.connect(lambda v: self.engine.set_smoothing(v / 100.0))
        self.view.clicked_at.connect(self._select_at)

    # -- running -----------------------------------------------------------------
    @property
    def worker(self) -> LiveWorker | None:
        """The current run's worker (None after Stop)."""
        return self.runs.current

    def start(self, spec: str | None = None) -> None:
        """Open ``spec`` (or the current source) in a new run; the previous run is discarded at once."""
        self.runs.discard()
        if spec is not None:
            self.source_spec = spec
        self._reset_panels(f"Source: opening {self.source_spec}…")
        self.view.show_message(f"Opening {self.source_spec} and loading the model…")
        worker = LiveWorker(self.engine, self.source_spec, mirror=self.mirror_box.isChecked())
        self.runs.start(
            worker,
            {
                worker.started_source: self._on_started,
                worker.result_ready: self._on_result,
                worker.failed: self._on_failed,
                worker.finished_source: self._on_source_end,
                worker.stalled: self._on_stalled,
                worker.finished: self._update_buttons,
            },
        )
        self._update_buttons()

    def stop(self) -> None:
        """Stop without waiting: the worker ends on its own, and nothing it still sends is shown."""
        if self.runs.current is not None:
            self.runs.discard()
            self._reset_panels("Stopped")
        self._update_buttons()

    def _reset_panels(self, source_text: str) -> None:
        """Nothing of a previous run stays on screen as if it were current."""
        self._arrivals.clear()
        self.selected_id = None
        self.last_result = None
        self.source_label.setText(source_text)
        self.fps_label.setText("FPS –")
        self.latency_label.setText("Latency –")
        self.faces_label.setText("Faces –")
        self.panel.setTitle("No face")
        self.panel.clear()
        self.reconnect_button.setVisible(False)

    def is_running(self) -> bool:
        return self.runs.is_running()

    def _toggle(self) -> None:
        if self.is_running():
            self.stop()
        else:
            self.start()

    def _update_buttons(self) -> None:
        self.start_button.setText("Stop" if self.is_running() else "Start")

    def _set_mirror(self, on: bool) -> None:
        if self.runs.current is not None:
            self.runs.current.mirror = on

    def _choose_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open video", "", VIDEO_FILTER)
        if path:
            self.start(path)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open folder of images")
        if path:
            self.start(path)

    # -- results -----------------------------------------------------------------
    def _on_started(self, description: str) -> None:
        self.source_label.setText(f"Source: {description}")
        self.message.emit(f"Running on {description}")

    def _on_result(self, image: np.ndarray, result: FrameResult) -> None:
        worker = self.runs.current  # the guard delivered it, so it is the current run's
        try:
            self._draw(image, result)
        finally:
            worker.result_drawn()  # even if drawing failed: the worker must not wait forever
        self.result_shown.emit(result)

    def _draw(self, image: np.ndarray, result: FrameResult) -> None:
        now = time.monotonic()
        self._arrivals.append(now)
        ids = {f.track_id for f in result.faces}
        if self.selected_id not in ids:
            largest = result.largest_face()
            self.selected_id = largest.track_id if largest else None
        self.last_result = result
        self.last_annotated = draw_results(image, result, self.selected_id)
        self.view.show_frame(self.last_annotated)
        selected = next((f for f in result.faces if f.track_id == self.selected_id), None)
        if selected is not None:
            self.panel.setTitle(f"Face {selected.track_id}: {selected.emotion} {selected.confidence:.0%}")
            self.panel.set_probabilities(selected.probs)
        else:
            self.panel.setTitle("No face")
            self.panel.clear()
        self.calibration.offer(image, selected.box if selected is not None else None)
        self.faces_label.setText(f"Faces {len(result.faces)}")
        if len(self._arrivals) > 1:
            fps = (len(self._arrivals) - 1) / max(self._arrivals[-1] - self._arrivals[0], 1e-6)
            self.fps_label.setText(f"FPS {fps:.1f}")
        self.latency_label.setText(
            f"Latency {result.detect_ms + result.infer_ms:.0f} ms "
            f"(faces {result.detect_ms:.0f} ms, emotions {result.infer_ms:.0f} ms)"
        )
        self.snapshot_button.setEnabled(True)
        self.reconnect_button.setVisible(False)

    def _select_at(self, x: float, y: float) -> None:
        if self.last_result is None:
            return
        for face in self.last_result.faces:
            b = face.box
            if b.x <= x <= b.x + b.w and b.y <= y <= b.y + b.h:
                self.selected_id = face.track_id
                return

    def _on_failed(self, text: str) -> None:
        hint = "" if "Open a video" in text else "\nChoose Camera, Open video… or Open folder… to continue."
        self._reset_panels(f"Source: {self.source_spec} (failed)")
        self.reconnect_button.setVisible(True)
        self.view.show_message(text + hint)
        self.message.emit(text)
        self._update_buttons()

    def _on_stalled(self, text: str) -> None:
        self.fps_label.setText("FPS –")
        self.reconnect_button.setVisible(True)
        self.view.show_message(text + "\nReconnect to open it again.")
        self.message.emit(text)

    def _on_source_end(self, text: str) -> None:
        self.fps_label.setText("FPS –")
        self.message.emit(text)
        self._update_buttons()

    # -- model -------------------------------------------------------------------
    def show_model_loading(self, path: str) -> None:
        self.model_label.setText(f"Model: {model_name(self.engine.model_path)} (loading {model_name(path)}…)")

    def show_model(self, _path: str = "") -> None:
        self.model_label.setText(f"Model: {model_name(self.engine.model_path)}")

    def snapshot(self) -> None:
        if self.last_annotated is None:
            return
        try:
            path = save_snapshot(self.last_annotated, self.snapshot_dir)
        except OSError as exc:
            self.message.emit(f"Snapshot not saved: {exc}")
            return
        self.message.emit(f"Snapshot saved to {path}")

    def shutdown(self) -> None:
        self.stop()
        self.calibration.shutdown()


def model_name(path: str | Path) -> str:
    """A model's short name: its file name, or its folder's for a trained ``…/<run>/model.keras``."""
    path = Path(path)
    return path.parent.name if path.stem == "model" else path.name
