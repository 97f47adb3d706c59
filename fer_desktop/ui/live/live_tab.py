"""The Live tab: a source, the annotated frame, the selected face's probabilities and timeline."""

from __future__ import annotations

import contextlib
import time
from collections import deque
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from fer_desktop.live.cameras import RESOLUTIONS, list_cameras
from fer_desktop.live.playback import SourceInfo
from fer_desktop.live.snapshots import save_snapshot
from fer_desktop.live.timeline import EmotionTimeline
from fer_desktop.paths import recordings_dir, snapshots_dir
from fer_desktop.pipeline.analyzer import FrameResult
from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.pipeline.overlay import draw_results
from fer_desktop.settings import read_settings, update_settings
from fer_desktop.ui.live.calibration_panel import CalibrationPanel
from fer_desktop.ui.widgets.frame_view import FrameView
from fer_desktop.ui.widgets.playback_bar import PlaybackBar
from fer_desktop.ui.widgets.probability_panel import ProbabilityPanel
from fer_desktop.ui.widgets.record_controls import RecordControls
from fer_desktop.ui.widgets.timeline_view import TimelineView
from fer_desktop.ui.workers.live_worker import LiveWorker
from fer_desktop.ui.workers.runs import WorkerSlot

VIDEO_FILTER = "Videos (*.mp4 *.avi *.mov *.mkv *.webm *.m4v);;All files (*)"
SIDE_WIDTH = 330  # at least; fixed: the side panel never resizes with its numbers, so the video stays put
TIMELINE_REDRAW_S = 0.25  # the timeline redraws at most this often while frames arrive
RUNTIME_NAMES = {"tflite": "TFLite", "tensorflow": "TensorFlow"}


class LiveTab(QWidget):
    result_shown = Signal(object)  # FrameResult, after it has been drawn
    message = Signal(str)  # for the status bar

    def __init__(self, engine: AnalyzerEngine, source: str | None = None, parent=None):
        """``source``: a camera index, video or folder; None: the camera chosen last time (else 0)."""
        super().__init__(parent)
        self.engine = engine
        self.runs = WorkerSlot()
        self.selected_id: int | None = None
        self.last_image: np.ndarray | None = None  # the frame as analysed (mirrored if shown so)
        self.last_annotated: np.ndarray | None = None
        self.last_result: FrameResult | None = None
        self.snapshot_dir = snapshots_dir()
        self.timeline = EmotionTimeline()
        self.source_info: SourceInfo | None = None
        self._arrivals: deque[float] = deque(maxlen=30)
        self._timeline_drawn = 0.0
        settings = read_settings()
        self._last_video = settings.get("last_video", "")
        self._last_folder = settings.get("last_video_folder", "")
        self._build(settings)
        self.source_spec = source if source is not None else self.camera_spec()

    def _build(self, settings: dict) -> None:
        self._build_source_row(settings)
        self.mirror_box = QCheckBox("Mirror")
        self.mirror_box.setChecked(bool(settings.get("mirror", False)))
        self.snapshot_button = QPushButton("Snapshot")
        self.snapshot_button.setEnabled(False)
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(0, 95)
        smoothing = settings.get("smoothing")
        if isinstance(smoothing, (int, float)):
            self.engine.set_smoothing(min(max(float(smoothing), 0.0), 0.95))
        self.smoothing_slider.setValue(round(self.engine.smoothing * 100))
        self.smoothing_slider.setToolTip("How much each face's probabilities are averaged over time")
        self.smoothing_slider.setMaximumWidth(120)
        self.record = RecordControls(
            Path(settings.get("record_folder") or recordings_dir()), bool(settings.get("record_video", False))
        )
        self.record.record_button.setEnabled(False)
        self.record.message.connect(self.message)
        view_row = QHBoxLayout()
        smoothing_label = QLabel("Smoothing")
        for w in (self.mirror_box, smoothing_label, self.smoothing_slider, self.snapshot_button, self.record):
            view_row.addWidget(w)
        view_row.addStretch(1)
        pace = settings.get("folder_pace")
        self.playback = PlaybackBar(
            bool(settings.get("loop", False)), float(pace) if isinstance(pace, (int, float)) else 1.0
        )

        self.view = FrameView()
        self.timeline_view = TimelineView()
        self.panel = ProbabilityPanel()
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.source_label = QLabel("No source")
        self.source_label.setWordWrap(True)
        self.faces_label = QLabel()
        self.fps_label = QLabel()
        self.latency_label = QLabel()
        for label in (self.faces_label, self.fps_label, self.latency_label):
            label.setFont(fixed)
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        self.side_widget = QWidget()
        side = QVBoxLayout(self.side_widget)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.panel)
        labels = (self.source_label, self.faces_label, self.fps_label, self.latency_label, self.model_label)
        for label in labels:
            side.addWidget(label)
        side.addStretch(1)
        self.calibration = CalibrationPanel(self.engine, shortcut_host=self)
        self.calibration.message.connect(self.message)
        side.addWidget(self.calibration)
        self.side_widget.setFixedWidth(max(SIDE_WIDTH, self.calibration.sizeHint().width()))
        # Scrolls on short screens rather than forcing the window taller than the screen.
        self.side_scroll = QScrollArea()
        self.side_scroll.setWidget(self.side_widget)
        self.side_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scrollbar = self.side_scroll.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.side_scroll.setFixedWidth(self.side_widget.width() + scrollbar + 2)
        self.side_scroll.setWidgetResizable(True)
        video_column = QVBoxLayout()
        video_column.addWidget(self.view, 1)
        video_column.addWidget(self.playback)
        video_column.addWidget(self.timeline_view)
        body = QHBoxLayout()
        body.addLayout(video_column, 1)
        body.addWidget(self.side_scroll)
        layout = QVBoxLayout(self)
        layout.addLayout(self.source_row)
        layout.addLayout(view_row)
        layout.addLayout(body, 1)
        self._show_stats(None)
        self.show_model()

        self.camera_button.clicked.connect(lambda: self.start(self.camera_spec()))
        self.refresh_cameras_button.clicked.connect(lambda: self.refresh_cameras())
        self.video_button.clicked.connect(self._choose_video)
        self.folder_button.clicked.connect(self._choose_folder)
        self.start_button.clicked.connect(self._toggle)
        self.reconnect_button.clicked.connect(lambda: self.start())
        self.mirror_box.toggled.connect(self._set_mirror)
        self.snapshot_button.clicked.connect(self.snapshot)
        self.smoothing_slider.valueChanged.connect(lambda v: self.engine.set_smoothing(v / 100.0))
        self.view.clicked_at.connect(self._select_at)
        space = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        space.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        space.activated.connect(self.playback.toggle_pause)

    def _build_source_row(self, settings: dict) -> None:
        """Camera by name where the system lists them, else by number; its resolution; files."""
        saved = settings.get("camera") if isinstance(settings.get("camera"), dict) else {}
        self.cameras: list = []
        self.camera_choice = QComboBox()
        self.camera_choice.setToolTip("Cameras found on this computer")
        self.camera_index = QSpinBox()  # the fallback: OpenCV's camera number
        self.camera_index.setRange(0, 9999)
        self.camera_index.setToolTip("Camera number (no camera names could be listed)")
        if isinstance(saved.get("index"), int):
            self.camera_index.setValue(saved["index"])
        self.camera_index_label = QLabel("Camera #")
        self.refresh_cameras_button = QPushButton("↻")
        self.refresh_cameras_button.setToolTip("List the cameras again (e.g. after plugging one in)")
        self.refresh_cameras_button.setAccessibleName("Refresh camera list")
        self.refresh_cameras(saved.get("name"), saved.get("index"))
        self.resolution_choice = QComboBox()
        self.resolution_choice.addItems(list(RESOLUTIONS))
        self.resolution_choice.setToolTip("Camera resolution (the camera picks its nearest mode)")
        self.resolution_choice.setCurrentText(str(settings.get("camera_resolution", "Default")))
        self.camera_button = QPushButton("Camera")
        self.video_button = QPushButton("Open video…")
        self.folder_button = QPushButton("Open folder…")
        self.start_button = QPushButton("Start")
        self.reconnect_button = QPushButton("Reconnect")
        self.reconnect_button.setToolTip("Open the same source again")
        self.reconnect_button.setVisible(False)
        self.source_row = QHBoxLayout()
        for w in (
            self.camera_index_label,
            self.camera_index,
            self.camera_choice,
            self.refresh_cameras_button,
            self.resolution_choice,
            self.camera_button,
            self.video_button,
            self.folder_button,
            self.start_button,
            self.reconnect_button,
        ):
            self.source_row.addWidget(w)
        self.source_row.addStretch(1)

    def refresh_cameras(self, name: str | None = None, index: int | None = None) -> None:
        """List the cameras again, keeping the chosen one (by name and number, else name, else
        number) if it is still there; with none listed, its number stays in the number box."""
        if name is None and index is None:
            if self.cameras and self.camera_choice.currentIndex() >= 0:
                current = self.cameras[self.camera_choice.currentIndex()]
                name, index = current.name, current.index
            else:
                index = self.camera_index.value()
        self.cameras = list_cameras()
        self.camera_choice.clear()
        for camera in self.cameras:
            self.camera_choice.addItem(camera.label, camera.index)
        by_both = [i for i, c in enumerate(self.cameras) if (c.name, c.index) == (name, index)]
        by_name = [i for i, c in enumerate(self.cameras) if c.name == name]
        by_index = [i for i, c in enumerate(self.cameras) if c.index == index]
        for matches in (by_both, by_name, by_index):
            if matches:
                self.camera_choice.setCurrentIndex(matches[0])
                break
        if isinstance(index, int) and not self.cameras:
            self.camera_index.setValue(index)
        self.camera_choice.setVisible(bool(self.cameras))
        self.camera_index.setVisible(not self.cameras)
        self.camera_index_label.setVisible(not self.cameras)

    def camera_spec(self) -> str:
        """The chosen camera as a source spec: OpenCV's index, by name where the names are known."""
        if self.cameras:
            return str(self.camera_choice.currentData())
        return str(self.camera_index.value())

    def camera_resolution(self) -> tuple[int, int] | None:
        return RESOLUTIONS.get(self.resolution_choice.currentText())

    # -- running -----------------------------------------------------------------
    @property
    def worker(self) -> LiveWorker | None:
        """The current run's worker (None after Stop)."""
        return self.runs.current

    def start(self, spec: str | None = None) -> None:
        """Open ``spec`` (or the current source) in a new run; the previous run is discarded at once."""
        self.runs.discard()
        self.record.stop()  # a recording holds one source: the files are finalised now
        if spec is not None:
            self.source_spec = spec
        self._reset_panels(f"Source: opening {self.source_spec}…")
        self.view.show_message(f"Opening {self.source_spec} and loading the model…")
        worker = LiveWorker(
            self.engine,
            self.source_spec,
            mirror=self.mirror_box.isChecked(),
            playback=self.playback.new_control(),
            resolution=self.camera_resolution(),
        )
        self.runs.start(
            worker,
            {
                worker.source_info: self._on_source_info,
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
        self.record.stop()
        if self.runs.current is not None:
            self.runs.discard()
            self._reset_panels("Stopped")
        self._update_buttons()

    def _reset_panels(self, source_text: str) -> None:
        """Nothing of a previous run stays on screen as if it were current."""
        self._arrivals.clear()
        self.selected_id = None
        self.last_result = None
        self.last_image = None
        self.source_info = None
        self.timeline.clear()
        self.timeline_view.clear()
        self.playback.attach(None, None)
        self.source_label.setText(source_text)
        self._show_stats(None)
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
        running = self.is_running()
        self.start_button.setText("Stop" if running else "Start")
        # Record once the source is open (its frame rate known), and Stop stays possible while recording.
        opened = running and self.source_info is not None
        self.record.record_button.setEnabled(opened or self.record.recording)

    def _set_mirror(self, on: bool) -> None:
        if self.runs.current is not None:
            self.runs.current.mirror = on

    def _choose_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open video", self._last_video, VIDEO_FILTER)
        if path:
            self._last_video = path
            self._save_setting(last_video=path)
            self.start(path)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open folder of images", self._last_folder)
        if path:
            self._last_folder = path
            self._save_setting(last_video_folder=path)
            self.start(path)

    # -- results -----------------------------------------------------------------
    def _on_source_info(self, info: SourceInfo) -> None:
        self.source_info = info
        worker = self.runs.current
        self.playback.attach(worker.playback if info.seekable else None, info)
        self.record.fps = info.fps or 30.0
        self._update_buttons()

    def _on_started(self, description: str) -> None:
        self.source_label.setText(f"Source: {description}")
        self.show_model()  # the engine is built now: its runtime is known
        self.message.emit(f"Running on {description}")

    def _on_result(self, image: np.ndarray, result: FrameResult) -> None:
        worker = self.runs.current  # the guard delivered it, so it is the current run's
        try:
            self._draw(image, result)
        finally:
            worker.result_drawn()  # even if drawing failed: the worker must not wait forever
        self.result_shown.emit(result)

    def _draw(self, image: np.ndarray, result: FrameResult) -> None:
        self._arrivals.append(time.monotonic())
        ids = {f.track_id for f in result.faces}
        if self.selected_id not in ids:
            largest = result.largest_face()
            self.selected_id = largest.track_id if largest else None
        self.last_image, self.last_result = image, result
        self.timeline.add(result)
        self._render(redraw_timeline=self.playback.paused)
        self.record.add(result, self.last_annotated)
        selected = self.selected_face()
        self.calibration.offer(image, selected.box if selected is not None else None)
        self._show_stats(result)
        self.playback.show_position(result.index, result.time)
        self.snapshot_button.setEnabled(True)
        self.reconnect_button.setVisible(False)

    def _render(self, redraw_timeline: bool = True) -> None:
        """Draw what depends on the selection: the boxes, the panel, the timeline (no new frame needed)."""
        if self.last_image is None or self.last_result is None:
            return
        self.last_annotated = draw_results(self.last_image, self.last_result, self.selected_id)
        self.view.show_frame(self.last_annotated)
        selected = self.selected_face()
        if selected is not None:
            self.panel.setTitle(f"Face {selected.track_id}: {selected.emotion} {selected.confidence:.0%}")
            self.panel.set_probabilities(selected.probs)
        else:
            self.panel.setTitle("No face")
            self.panel.clear()
        now = time.monotonic()
        if redraw_timeline or now - self._timeline_drawn >= TIMELINE_REDRAW_S:
            self._timeline_drawn = now
            self.timeline_view.show_timeline(self.timeline, self.selected_id)

    def selected_face(self):
        if self.last_result is None:
            return None
        return next((f for f in self.last_result.faces if f.track_id == self.selected_id), None)

    def _show_stats(self, result: FrameResult | None) -> None:
        """Fixed-width numbers in a monospace font: the side panel never changes size as they change."""
        if result is None:
            self.faces_label.setText("Faces      -")
            self.fps_label.setText("FPS        -")
            self.latency_label.setText("Latency    - ms (faces    -, emotions    -)")
            return
        self.faces_label.setText(f"Faces    {len(result.faces):3d}")
        if len(self._arrivals) > 1:
            fps = (len(self._arrivals) - 1) / max(self._arrivals[-1] - self._arrivals[0], 1e-6)
            self.fps_label.setText(f"FPS    {min(fps, 999.9):5.1f}")
        total, detect, infer = (
            min(ms, 9999) for ms in (result.detect_ms + result.infer_ms, result.detect_ms, result.infer_ms)
        )
        self.latency_label.setText(f"Latency {total:4.0f} ms (faces {detect:4.0f}, emotions {infer:4.0f})")

    def _select_at(self, x: float, y: float) -> None:
        if self.last_result is None:
            return
        for face in self.last_result.faces:
            b = face.box
            if b.x <= x <= b.x + b.w and b.y <= y <= b.y + b.h:
                self.selected_id = face.track_id
                self._render()  # at once, also while paused: no new frame comes to do it
                return

    def _on_failed(self, text: str) -> None:
        hint = "" if "Open a video" in text else "\nChoose Camera, Open video… or Open folder… to continue."
        self.record.stop()
        self._reset_panels(f"Source: {self.source_spec} (failed)")
        self.reconnect_button.setVisible(True)
        self.view.show_message(text + hint)
        self.message.emit(text)
        self._update_buttons()

    def _on_stalled(self, text: str) -> None:
        self.fps_label.setText("FPS        -")
        self.reconnect_button.setVisible(True)
        self.view.show_message(text + "\nReconnect to open it again.")
        self.message.emit(text)

    def _on_source_end(self, text: str) -> None:
        self.fps_label.setText("FPS        -")
        self.record.stop()
        self.playback.attach(None, None)  # the run has ended: nothing left to pause or seek
        self.message.emit(text)
        self._update_buttons()

    # -- model -------------------------------------------------------------------
    def show_model_loading(self, path: str) -> None:
        current = model_name(self.engine.model_path)
        loading = model_name(path)
        self.model_label.setText(f"Model: {current}\nRuntime: {self._runtime()} (loading {loading}…)")

    def show_model(self, _path: str = "") -> None:
        self.model_label.setText(f"Model: {model_name(self.engine.model_path)}\nRuntime: {self._runtime()}")

    def _runtime(self) -> str:
        classifier = self.engine.classifier
        if classifier is None:
            return "chosen when a source starts"
        return RUNTIME_NAMES.get(classifier.runtime, classifier.runtime)

    def snapshot(self) -> None:
        if self.last_annotated is None:
            return
        try:
            path = save_snapshot(self.last_annotated, self.snapshot_dir)
        except OSError as exc:
            self.message.emit(f"Snapshot not saved: {exc}")
            return
        self.message.emit(f"Snapshot saved to {path}")

    # -- settings ----------------------------------------------------------------
    def settings(self) -> dict:
        """The Live tab's preferences, as saved between runs."""
        camera = {"index": int(self.camera_spec())}
        if self.cameras:
            camera["name"] = self.cameras[self.camera_choice.currentIndex()].name
        return {
            "mirror": self.mirror_box.isChecked(),
            "smoothing": self.smoothing_slider.value() / 100.0,
            "camera": camera,
            "camera_resolution": self.resolution_choice.currentText(),
            "record_folder": str(self.record.folder),
            "record_video": self.record.video_box.isChecked(),
            "loop": self.playback.loop_box.isChecked(),
            "folder_pace": self.playback.pace.value(),
        }

    def _save_setting(self, **values) -> None:
        with contextlib.suppress(OSError):  # a lost preference must not interrupt the user
            update_settings(**values)

    def shutdown(self) -> None:
        self._save_setting(**self.settings())
        self.stop()
        self.record.shutdown()
        self.calibration.shutdown()


def model_name(path: str | Path) -> str:
    """A model's short name: its file name, or its folder's for a trained ``…/<run>/model.keras``."""
    path = Path(path)
    return path.parent.name if path.stem == "model" else path.name
