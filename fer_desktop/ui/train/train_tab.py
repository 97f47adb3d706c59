"""The Train tab: retrain or fine-tune the emotion model and watch it learn.

The tab trains; its Models page (``models_page``) lists and edits the models, and
switching to one (the new model's "Use this model" included) goes through the window's
model controller, which every tab follows.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fer_desktop.models import catalogue
from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.dialogs import choose_folder
from fer_desktop.ui.model_controller import ModelController
from fer_desktop.ui.train.models_page import ModelsPage
from fer_desktop.ui.train.run_text import EpochClock, counts_text
from fer_desktop.ui.widgets.report_view import ReportView
from fer_desktop.ui.widgets.train_plots import TrainingPlots
from fer_desktop.ui.workers.runs import WorkerSlot
from fer_desktop.ui.workers.train_worker import TrainWorker
from training.architectures import ARCHITECTURES
from training.config import TrainConfig, train_tab_defaults
from training.contract.label_origin import dataset_warning
from training.contract.wording import count

OWN_SPLIT_UNKNOWN = "The dataset's own split"
OWN_SPLIT = "The dataset's own (PublicTest)"
NO_OWN_SPLIT = "None in this dataset"
STOPPING = "Stopping after this batch; keeping the best model so far…"
# The controls start at training.config's Train tab start: one source beside the CLI's defaults.
DEFAULTS = train_tab_defaults()


class TrainTab(QWidget):
    """Trains; lists the models through its Models page; switching goes through ``controller``."""

    training_done = Signal(dict)  # the new model's card
    training_failed = Signal(str)
    device_found = Signal(str)
    message = Signal(str)

    def __init__(self, engine: AnalyzerEngine, controller: ModelController | None = None, parent=None):
        """``controller``: the window's; a tab on its own (tests) gets one of its own."""
        super().__init__(parent)
        self.controller = controller or ModelController(engine, self)
        self.runs = WorkerSlot()  # training
        self.last_card: dict | None = None
        self.last_model: Path | None = None
        self.clock = EpochClock()
        self._build()
        self.device_found.connect(lambda text: self.device_label.setText(f"Device: {text}"))
        self._device_probed = False

    def _build(self) -> None:
        self.data_edit = QLineEdit()
        self.data_edit.setPlaceholderText("FER2013 folder or fer2013.csv, or a class-folder tree")
        self.data_button = QPushButton("Browse…")
        self.extra_edit = QLineEdit()
        self.extra_edit.setPlaceholderText("optional: a second class-folder tree to mix in")
        self.counts_label = QLabel("")
        self.counts_label.setWordWrap(True)
        self.mode = QComboBox()
        self.mode.addItems(["Fine-tune the current model", "Train from scratch"])
        self.arch = QComboBox()  # used when training from scratch; a fine-tune keeps the model's own
        self.arch.addItems(ARCHITECTURES)
        self.arch.setToolTip("vgg: the app's own network; efficientnetb2: the seed notebook's (slow on CPU)")
        self.arch.setEnabled(False)
        self.mode.currentIndexChanged.connect(lambda index: self.arch.setEnabled(index == 1))
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 500)
        self.epochs.setValue(DEFAULTS.epochs)
        self.batch = QSpinBox()
        self.batch.setRange(4, 1024)
        self.batch.setValue(DEFAULTS.batch_size)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1.0)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(DEFAULTS.learning_rate)
        self.val_source = QComboBox()
        held_out = f"{DEFAULTS.val_fraction:.0%}"
        self.val_source.addItems([OWN_SPLIT_UNKNOWN, f"Hold out {held_out} of each class"])
        self.val_source.setToolTip(
            "FER2013 (folders or csv) brings its own validation split, PublicTest; "
            f"a class-folder tree has none, so {held_out} of each class is held out"
        )
        self._has_own_splits: bool | None = None
        self.augment = QCheckBox("Augment (flips, small shifts and rotations)")
        self.augment.setChecked(DEFAULTS.augment)
        self.device_label = QLabel("Device: checking…")

        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.data_edit, 1)
        row.addWidget(self.data_button)
        form.addRow("Dataset", row)
        form.addRow("Mix in", self.extra_edit)
        form.addRow("", self.counts_label)
        form.addRow("Start from", self.mode)
        form.addRow("Architecture", self.arch)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batch)
        form.addRow("Learning rate", self.lr)
        form.addRow("Validation", self.val_source)
        form.addRow("", self.augment)
        form.addRow("", self.device_label)
        settings = QGroupBox("Settings")
        settings.setLayout(form)

        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.epoch_progress = QProgressBar()
        self.time_left = QLabel("")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        controls = QHBoxLayout()
        for w in (self.start_button, self.stop_button, self.epoch_progress, self.time_left):
            controls.addWidget(w)

        self.use_button = QPushButton("Use this model")
        self.use_button.setEnabled(False)
        self.models_page = ModelsPage(self.controller)

        left = QVBoxLayout()
        left.addWidget(settings)
        left.addLayout(controls)
        left.addWidget(self.status)
        left.addStretch(1)

        # Curves, the comparison and the models each get the whole right side: at the default
        # window size the tables show all seven classes and the card reads without squinting.
        self.plots = TrainingPlots()
        self.new_report = ReportView("New model (validation)")
        self.old_report = ReportView("Current model (same validation data)")
        self.results_page = QWidget()
        results = QVBoxLayout(self.results_page)
        reports = QHBoxLayout()
        reports.addWidget(self.new_report)
        reports.addWidget(self.old_report)
        results.addLayout(reports)
        results.addWidget(self.use_button)
        results.addStretch(1)
        self.views = QTabWidget()
        self.views.addTab(self.plots, "Training curves")
        self.views.addTab(self.results_page, "New vs current model")
        self.views.addTab(self.models_page, "Models")

        layout = QHBoxLayout(self)
        layout.addLayout(left, 0)
        layout.addWidget(self.views, 1)

        self.data_button.clicked.connect(self._choose_data)
        self.data_edit.editingFinished.connect(lambda: self.show_counts(self.data_edit.text()))
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.use_button.clicked.connect(self.use_new_model)
        self.models_page.status.connect(self.status.setText)
        self.models_page.deleted.connect(self._on_model_deleted)
        self.models_page.renamed.connect(self._on_model_renamed)
        self.controller.status.connect(self.status.setText)
        self.controller.loading.connect(self._on_switch_started)
        self.controller.model_changed.connect(self._on_switch_ended)
        self.controller.model_changed.connect(self.refresh_models)
        self.controller.model_refused.connect(self._on_switch_ended)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # Probing the device imports TensorFlow (seconds, both cores): only once the tab is seen.
        super().showEvent(event)
        if not self._device_probed:
            self._device_probed = True
            threading.Thread(target=self._detect_device, name="device-probe", daemon=True).start()

    def _detect_device(self) -> None:
        from fer_desktop.runtime_imports import import_tensorflow
        from training.device import describe_device

        try:
            import_tensorflow()  # under the import lock: the Live tab may be loading MediaPipe
            text = describe_device()
        except Exception as exc:
            text = f"unknown ({exc})"
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile: nobody to tell
            self.device_found.emit(text)

    # -- dataset ---------------------------------------------------------------------
    def _choose_data(self) -> None:
        folder = choose_folder(self, "Dataset folder", "train_data")
        if folder:
            self.data_edit.setText(folder)
            self.show_counts(folder)

    def show_counts(self, path: str) -> dict:
        """Class counts per split, from file names only; warns about empty or tiny classes."""
        from training.datasets import DatasetError, count_classes

        if not path:
            return {}
        try:
            counts = count_classes(path)
        except (DatasetError, OSError, ValueError) as exc:
            self.counts_label.setText(f"⚠ {exc}")
            return {}
        self._offer_validation(path)
        own = dataset_warning(path)  # labels a model gave itself: its validation would score itself
        self.counts_label.setText(counts_text(counts) + (f"\n⚠ {own}" if own else ""))
        return counts

    def _offer_validation(self, path: str) -> None:
        """Offer the dataset's own validation split only where it has one (FER2013), and default to it there.

        A class-folder tree has none: holding out ``val_fraction`` per class is then the only choice.
        """
        from training.datasets import has_own_splits

        own = has_own_splits(path)
        if own == self._has_own_splits:
            return  # the same kind of dataset: keep the user's choice
        self._has_own_splits = own
        item = self.val_source.model().item(0)
        item.setText(OWN_SPLIT if own else NO_OWN_SPLIT)
        item.setEnabled(own)
        self.val_source.setCurrentIndex(0 if own else 1)

    # -- training --------------------------------------------------------------------
    def make_config(self) -> TrainConfig:
        out = catalogue.new_model_dir()
        from_scratch = self.mode.currentIndex() == 1
        data = self.data_edit.text().strip()
        config = TrainConfig(
            data=data, out=str(out), epochs=self.epochs.value(), batch_size=self.batch.value(),
            learning_rate=self.lr.value(), init=None if from_scratch else str(self.controller.active_path),
            augment=self.augment.isChecked(),
            extra_data=[self.extra_edit.text().strip()] if self.extra_edit.text().strip() else [],
        )  # fmt: skip
        if self.val_source.currentIndex() == 1:
            config.force_holdout = True
        if from_scratch:
            config.arch = self.arch.currentText()
        return config

    @property
    def worker(self) -> TrainWorker | None:
        return self.runs.current

    def start(self) -> None:
        if self.runs.is_running():
            return
        if not self.data_edit.text().strip():
            self.status.setText("Choose a dataset first.")
            return
        self.show_counts(self.data_edit.text().strip())
        config = self.make_config()
        self.plots.clear()
        self.new_report.show_report(None)
        self.old_report.show_report(None)
        self.epoch_progress.setValue(0)
        self.time_left.setText("")
        self.use_button.setEnabled(False)
        self.clock = EpochClock(config.epochs)
        worker = TrainWorker(config, self.controller.active_path)
        self.runs.start(
            worker,
            {
                worker.signals.epoch_ended: self._on_epoch,
                worker.signals.batch_progress: self._on_batch,
                worker.signals.warning: self._warn,
                worker.data_ready: self._on_data_ready,
                worker.returned: self._on_finished,
                worker.errored: self._on_failed,
                worker.finished: self._on_thread_done,
            },
        )
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.stop_button.setText("Stop")
        self.views.setCurrentWidget(self.plots)
        self.status.setText("Loading the dataset…")

    @property
    def stopping(self) -> bool:
        return self.runs.current is not None and self.runs.current.stop_requested

    def stop(self) -> None:
        """Stop after the current batch, keeping the best model so far; "Stopping…" shows until the end."""
        if self.runs.current is not None:
            self.runs.request_stop()
            self.stop_button.setEnabled(False)
            self.stop_button.setText("Stopping…")
            self.time_left.setText("Stopping…")
            self.status.setText(STOPPING)

    def shutdown(self) -> None:
        """Closing: ask the runs to stop and leave them to end on their own (never waited for here)."""
        self.runs.discard()

    def _on_data_ready(self, counts: dict) -> None:
        train, val = sum(counts["train"].values()), sum(counts["val"].values())
        self.status.setText(f"Training on {count(train, 'image')}, validating on {val:,}…")

    def _on_batch(self, step: int, steps: int, per_step: float) -> None:
        self.epoch_progress.setMaximum(steps)
        self.epoch_progress.setValue(step)
        if self.stopping:
            return
        self.time_left.setText(self.clock.time_left_text(step, steps, per_step))

    def _on_epoch(self, epoch: int, logs: dict) -> None:
        self.clock.epoch_ended()
        self.plots.add_epoch(epoch, logs)
        acc, val = logs.get("accuracy", 0.0), logs.get("val_accuracy", 0.0)
        figures = f"Epoch {epoch}: accuracy {acc:.1%}, validation accuracy {val:.1%}"
        self.status.setText(f"{STOPPING} ({figures})" if self.stopping else figures)

    def _warn(self, text: str) -> None:
        self.status.setText(f"⚠ {text}")
        self.message.emit(text)

    def _on_finished(self, card: dict) -> None:
        self.last_card = card
        self.last_model = Path(card["path"])
        self.new_report.show_report(card["evaluation"]["val"])
        self.old_report.show_report((card.get("baseline") or {}).get("val"))
        stopped = " (stopped early; best epoch kept)" if card["training"].get("stopped_by_user") else ""
        own = catalogue.own_labels_note(card)
        self.status.setText(
            f"Done{stopped}: {catalogue.split_figure('validation', card['evaluation']['val'])}"
            f"{f' (⚠ {own})' if own else ''}. Saved to {self.last_model}"
        )
        self.use_button.setEnabled(True)
        self.refresh_models()
        self.views.setCurrentWidget(self.results_page)
        self.training_done.emit(card)

    def _on_failed(self, text: str) -> None:
        self.status.setText(f"⚠ {text}")
        self.message.emit(text)
        self.training_failed.emit(text)

    def _on_thread_done(self) -> None:
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.stop_button.setText("Stop")
        self.time_left.setText("")

    # -- models ----------------------------------------------------------------------
    def refresh_models(self, _changed_to: str = "") -> None:
        self.models_page.refresh()

    def use_new_model(self) -> None:
        if self.last_model is not None and self.models_page.confirm_switch(self.last_card):
            self.controller.use_model(self.last_model)

    def _on_switch_started(self, _path: str) -> None:
        for button in (self.use_button, self.models_page.restore_button):
            button.setEnabled(False)

    def _on_switch_ended(self, _path_or_reason: str) -> None:
        self.models_page.restore_button.setEnabled(True)
        self.use_button.setEnabled(self.last_model is not None and not self.runs.is_running())

    def _on_model_deleted(self, folder: Path) -> None:
        if self.last_model is not None and folder in self.last_model.parents:
            self.last_model = None
            self.use_button.setEnabled(False)

    def _on_model_renamed(self, old_folder: Path, new_path: Path) -> None:
        if self.last_model is not None and old_folder in self.last_model.parents:
            self.last_model = new_path
