"""The Live tab: a source, the annotated frame, the selected face's probabilities and timeline.

Thin: :class:`fer_desktop.live.session.LiveSession` holds the run's state and rules; this
tab draws it, and reads and saves its preferences through :mod:`fer_desktop.settings`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from fer_desktop.live.playback import SourceInfo
from fer_desktop.live.session import NO_FPS, LiveSession, model_text
from fer_desktop.paths import recordings_dir, snapshots_dir
from fer_desktop.pipeline.analyzer import FrameResult
from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.settings import SMOOTHING_RANGE, Settings, load_settings, save_settings
from fer_desktop.ui.dialogs import choose_folder, choose_open_file
from fer_desktop.ui.live.camera_picker import CameraPicker
from fer_desktop.ui.live.side_panel import LiveSidePanel
from fer_desktop.ui.widgets.frame_view import FrameView
from fer_desktop.ui.widgets.playback_bar import PlaybackBar
from fer_desktop.ui.widgets.record_controls import RecordControls
from fer_desktop.ui.widgets.timeline_view import TimelineView
from fer_desktop.ui.workers.live_worker import LiveWorker
from fer_desktop.ui.workers.runs import WorkerSlot

VIDEO_FILTER = "Videos (*.mp4 *.avi *.mov *.mkv *.webm *.m4v);;All files (*)"


class LiveTab(QWidget):
    result_shown = Signal(object)  # FrameResult, after it has been drawn
    message = Signal(str)  # for the status bar

    def __init__(self, engine: AnalyzerEngine, source: str | None = None, parent=None):
        """``source``: a camera index, video or folder; None: the camera chosen last time (else 0)."""
        super().__init__(parent)
        self.engine = engine
        self.runs = WorkerSlot()
        self.snapshot_dir = snapshots_dir()
        self.session = LiveSession(source if source is not None else "")
        self._build(load_settings())
        if source is None:
            self.session.source_spec = self.camera.spec()

    @property
    def source_spec(self) -> str:
        return self.session.source_spec

    def _build(self, settings: Settings) -> None:
        self._build_source_row(settings)
        self.mirror_box = QCheckBox("Mirror")
        self.mirror_box.setChecked(settings.mirror)
        self.snapshot_button = QPushButton("Snapshot")
        self.snapshot_button.setEnabled(False)  # until there is a frame to save
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(*(round(100 * end) for end in SMOOTHING_RANGE))
        if settings.smoothing is not None:
            self.engine.set_smoothing(settings.smoothing)
        self.smoothing_slider.setValue(round(self.engine.smoothing * 100))
        self.smoothing_slider.setToolTip("How much each face's probabilities are averaged over time")
        self.smoothing_slider.setMaximumWidth(120)
        self.record = RecordControls(Path(settings.record_folder or recordings_dir()), settings.record_video)
        self.record.record_button.setEnabled(False)
        self.record.message.connect(self.message)
        view_row = QHBoxLayout()
        smoothing_label = QLabel("Smoothing")
        for w in (self.mirror_box, smoothing_label, self.smoothing_slider, self.snapshot_button, self.record):
            view_row.addWidget(w)
        view_row.addStretch(1)
        self.playback = PlaybackBar(settings.loop, settings.folder_pace)

        self.view = FrameView()
        self.timeline_view = TimelineView()
        self._build_side()
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

        self.camera_button.clicked.connect(lambda: self.start(self.camera.spec()))
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

    def _build_side(self) -> None:
        """The side column; its widgets are named here too, as the tab and its tests use them."""
        self.side_scroll = LiveSidePanel(self.engine, shortcut_host=self)
        side = self.side_scroll
        self.side_widget, self.panel, self.calibration = side.content, side.panel, side.calibration
        self.source_label, self.model_label = side.source_label, side.model_label
        self.faces_label, self.fps_label = side.faces_label, side.fps_label
        self.latency_label = side.latency_label
        self.calibration.message.connect(self.message)

    def _build_source_row(self, settings: Settings) -> None:
        """The camera picker, then the buttons that open a source."""
        self.camera = CameraPicker(settings.camera, settings.camera_resolution)
        self.camera_button = QPushButton("Camera")
        self.video_button = QPushButton("Open video…")
        self.folder_button = QPushButton("Open folder…")
        self.start_button = QPushButton("Start")
        self.reconnect_button = QPushButton("Reconnect")
        self.reconnect_button.setToolTip("Open the same camera again")
        self.reconnect_button.setVisible(False)
        self.source_row = QHBoxLayout()
        for w in (
            self.camera,
            self.camera_button,
            self.video_button,
            self.folder_button,
            self.start_button,
            self.reconnect_button,
        ):
            self.source_row.addWidget(w)
        self.source_row.addStretch(1)

    # -- running -----------------------------------------------------------------
    @property
    def worker(self) -> LiveWorker | None:
        """The current run's worker (None after Stop)."""
        return self.runs.current

    def start(self, spec: str | None = None) -> None:
        """Open ``spec`` (or the current source) in a new run; the previous run is discarded at once."""
        self.runs.discard()
        self.record.stop()  # a recording holds one source: the files are finalised now
        self.calibration.source_stopped("The source changed")
        if spec is not None:
            self.session.source_spec = spec
        self._reset_panels(f"Source: opening {self.source_spec}…")
        self.view.clear(f"Opening {self.source_spec} and loading the model…")  # no other source's frame
        worker = LiveWorker(
            self.engine,
            self.source_spec,
            mirror=self.mirror_box.isChecked(),
            playback=self.playback.new_control(),
            resolution=self.camera.resolution_size(),
        )
        self.runs.start(
            worker,
            {
                worker.source_info: self._on_source_info,
                worker.started_source: self._on_started,
                worker.result_ready: self._on_result,
                worker.errored: self._on_failed,
                worker.finished_source: self._on_source_end,
                worker.stalled: self._on_stalled,
                worker.finished: self._update_buttons,
            },
        )
        self._update_buttons()

    def stop(self) -> None:
        """Stop without waiting: the worker ends on its own, and nothing it still sends is shown."""
        self.record.stop()
        self.calibration.source_stopped("The source stopped")
        if self.runs.current is not None:
            self.runs.discard()
            self._reset_panels("Stopped", keep_picture=True)  # the frame stopped on stays, to save
            if not self.session.can_snapshot:
                self.view.clear("Stopped")  # before the first frame: not "Opening…" any more
        self._update_buttons()

    def _reset_panels(self, source_text: str, keep_picture: bool = False) -> None:
        """Nothing of a previous run stays on screen as if it were current.

        Without ``keep_picture`` the caller clears the view too (to its message), so the view
        shows a frame exactly when the session has one for Snapshot; with it (Stop), the frame
        stays with its faces' probabilities, and Mirror or a click still redraw it.
        """
        self.session.reset(keep_picture=keep_picture)
        self.timeline_view.clear()
        self.playback.attach(None, None)
        self.source_label.setText(source_text)
        self._show_stats(None)
        self.side_scroll.show_no_face()
        if keep_picture:
            self._render()
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
        self.record.record_button.setEnabled((running and self.session.opened) or self.record.recording)
        self.snapshot_button.setEnabled(self.session.can_snapshot)
        self.calibration.set_source_running(running)

    def _set_mirror(self, on: bool) -> None:
        """New frames come mirrored or not; the frame on screen is redrawn at once (it may be paused)."""
        if self.runs.current is not None:
            self.runs.current.mirror = on
        if self.session.set_mirror(on):
            self._render()

    def _choose_video(self) -> None:
        path = choose_open_file(self, "Open video", "live_video", VIDEO_FILTER)
        if path:
            self.start(path)

    def _choose_folder(self) -> None:
        path = choose_folder(self, "Open folder of images", "live_folder")
        if path:
            self.start(path)

    # -- results -----------------------------------------------------------------
    def _on_source_info(self, info: SourceInfo) -> None:
        self.session.source_info = info
        worker = self.runs.current
        self.playback.attach(worker.playback if info.seekable else None, info)
        self.record.fps = self.session.record_fps
        self._update_buttons()

    def _on_started(self, description: str) -> None:
        self.source_label.setText(f"Source: {description}")
        self.show_model()  # the engine is built now: its runtime is known
        self.message.emit(f"Running on {description}")

    def _on_result(self, image: np.ndarray, result: FrameResult, mirrored: bool) -> None:
        worker = self.runs.current  # the guard delivered it, so it is the current run's
        try:
            self._draw(image, result, mirrored)
        finally:
            worker.result_drawn()  # even if drawing failed: the worker must not wait forever
        self.result_shown.emit(result)

    def _draw(self, image: np.ndarray, result: FrameResult, mirrored: bool = False) -> None:
        self.session.add(image, result, mirrored)
        # A frame drawn with the other Mirror state (toggled while it was on its way) is flipped.
        self.session.set_mirror(self.mirror_box.isChecked())
        self._render(redraw_timeline=self.playback.paused)
        self.record.add(self.session.last_result, self.session.last_annotated)
        face = self.session.selected_face()
        box, track = (face.box, face.track_id) if face is not None else (None, None)
        self.calibration.offer(self.session.last_image, box, track)
        self._show_stats(result)
        self.playback.show_position(result.index, result.time)
        self.snapshot_button.setEnabled(self.session.can_snapshot)
        self.reconnect_button.setVisible(False)

    def _render(self, redraw_timeline: bool = True) -> None:
        """Draw what depends on the selection: the boxes, the panel, the timeline (no new frame needed)."""
        annotated = self.session.annotate()
        if annotated is None:
            return
        self.view.show_frame(annotated)
        selected = self.session.selected_face()
        self.panel.setTitle(self.session.panel_title())
        if selected is not None:
            self.panel.set_probabilities(selected.probs)
        else:
            self.panel.clear()
        if self.session.timeline_due(force=redraw_timeline):
            self.timeline_view.show_timeline(self.session.timeline, self.session.selected_id)

    def _show_stats(self, result: FrameResult | None) -> None:
        """Fixed-width numbers in a monospace font: the side panel never changes size as they change."""
        self.side_scroll.show_stats(*self.session.stats_lines(result))

    def _select_at(self, x: float, y: float) -> None:
        if self.session.select_at(x, y):
            self._render()  # at once, also while paused: no new frame comes to do it

    def _on_failed(self, text: str) -> None:
        """The source failed: the view shows only the message, no frame or box of before."""
        camera = self.session.is_camera  # asked before the reset forgets the source
        hint = "" if "Open a video" in text else "\nChoose Camera, Open video… or Open folder… to continue."
        if camera:
            hint = "\nReconnect to open it again." + hint
        self.record.stop()
        self.calibration.source_stopped("The source failed")
        self._reset_panels(f"Source: {self.source_spec} (failed)")
        self.reconnect_button.setVisible(camera)  # a file or folder would fail the same way again
        self.view.clear(text + hint)
        self.message.emit(text)
        self._update_buttons()

    def _on_stalled(self, text: str) -> None:
        """A camera gave no frame for seconds: its last frame is not the present, so it goes (and
        a guided calibration with it: its steps would pass with nothing to capture)."""
        self.calibration.source_stopped("The camera stopped sending frames")
        self.fps_label.setText(NO_FPS)
        self.reconnect_button.setVisible(self.session.is_camera)
        self.session.clear_picture()
        self.side_scroll.show_no_face()
        self.view.clear(text + "\nReconnect to open it again.")
        self.message.emit(text)
        self._update_buttons()

    def _on_source_end(self, text: str) -> None:
        self.fps_label.setText(NO_FPS)
        self.record.stop()
        self.calibration.source_stopped("The source ended")
        self.playback.attach(None, None)  # the run has ended: nothing left to pause or seek
        self.message.emit(text)
        self._update_buttons()

    # -- model -------------------------------------------------------------------
    def show_model_loading(self, path: str) -> None:
        self.model_label.setText(model_text(self.engine.model_path, self._runtime(), loading=path))

    def show_model(self, _path: str = "") -> None:
        fallback = getattr(self.engine.classifier, "fallback_reason", None)
        self.model_label.setText(model_text(self.engine.model_path, self._runtime(), fallback=fallback))

    def _runtime(self) -> str | None:
        classifier = self.engine.classifier
        return None if classifier is None else classifier.runtime

    def snapshot(self) -> None:
        try:
            path = self.session.snapshot(self.snapshot_dir)
        except OSError as exc:
            self.message.emit(f"Snapshot not saved: {exc}")
            return
        if path is not None:
            self.message.emit(f"Snapshot saved to {path}")

    # -- settings ----------------------------------------------------------------
    def settings(self) -> dict:
        """The Live tab's preferences (:class:`~fer_desktop.settings.Settings` fields), kept between runs."""
        return {
            "mirror": self.mirror_box.isChecked(),
            "smoothing": self.smoothing_slider.value() / 100.0,
            "camera": self.camera.chosen(),
            "camera_resolution": self.camera.resolution.currentText(),
            "record_folder": str(self.record.folder),
            "record_video": self.record.video_box.isChecked(),
            "loop": self.playback.loop_box.isChecked(),
            "folder_pace": self.playback.pace.value(),
        }

    def shutdown(self) -> None:
        with contextlib.suppress(OSError):  # a lost preference must not interrupt the user
            save_settings(**self.settings())
        self.stop()
        self.record.shutdown()
        self.calibration.shutdown()
