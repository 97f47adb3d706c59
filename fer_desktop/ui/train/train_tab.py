"""The Train tab: retrain or fine-tune the emotion model and watch it learn."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fer_desktop.models import catalogue as model_store
from fer_desktop.models.classifier import ModelLoadError
from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.dialogs import ask_yes_no, choose_folder, choose_open_file
from fer_desktop.ui.widgets.report_view import ReportView
from fer_desktop.ui.widgets.train_plots import TrainingPlots
from fer_desktop.ui.workers.model_loader import ModelLoadWorker
from fer_desktop.ui.workers.runs import WorkerSlot
from fer_desktop.ui.workers.train_worker import TrainWorker
from training.architectures import ARCHITECTURES
from training.config import TrainConfig
from training.contract.wording import count

TINY_CLASS = 20  # fewer images than this in a class earns a warning
OWN_SPLIT_UNKNOWN = "The dataset's own split"
OWN_SPLIT = "The dataset's own (PublicTest)"
NO_OWN_SPLIT = "None in this dataset"
STOPPING = "Stopping after this batch; keeping the best model so far…"


class TrainTab(QWidget):
    model_changed = Signal(str)  # path of the model now active in Live and Label
    model_loading = Signal(str)  # path of a model being loaded to replace the active one
    model_refused = Signal(str)  # why; the current model stays active
    training_done = Signal(dict)  # the new model's card
    training_failed = Signal(str)
    device_found = Signal(str)
    message = Signal(str)

    def __init__(self, engine: AnalyzerEngine, parent=None):
        super().__init__(parent)
        self.engine = engine
        self.runs = WorkerSlot()  # training
        self.model_runs = WorkerSlot()  # model loading
        self.last_card: dict | None = None
        self.last_model: Path | None = None
        self._epoch_times: list[float] = []
        self._epoch_started = time.monotonic()
        self._build()
        self.refresh_models()
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
        self.epochs.setValue(10)
        self.batch = QSpinBox()
        self.batch.setRange(4, 1024)
        self.batch.setValue(64)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1.0)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(5e-4)
        self.val_source = QComboBox()
        self.val_source.addItems([OWN_SPLIT_UNKNOWN, "Hold out 15% of each class"])
        self.val_source.setToolTip(
            "FER2013 (folders or csv) brings its own validation split, PublicTest; "
            "a class-folder tree has none, so 15% of each class is held out"
        )
        self._has_own_splits: bool | None = None
        self.augment = QCheckBox("Augment (flips, small shifts and rotations)")
        self.augment.setChecked(True)
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

        self.models = QListWidget()
        self.models.setWordWrap(True)  # a model's figures in full, not cut at the list's edge
        self.card_view = QTextBrowser()
        self.use_button = QPushButton("Use this model")
        self.use_button.setEnabled(False)
        self.restore_button = QPushButton("Use selected model")
        self.import_button = QPushButton("Add model file…")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete…")
        for button in (self.rename_button, self.delete_button):
            button.setEnabled(False)  # until a model of the user's is selected
        self.models_page = QWidget()
        mb = QVBoxLayout(self.models_page)
        mb.addWidget(self.models, 1)
        mb.addWidget(self.card_view, 2)
        buttons = QHBoxLayout()
        for b in (self.restore_button, self.import_button, self.rename_button, self.delete_button):
            buttons.addWidget(b)
        mb.addLayout(buttons)

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
        self.restore_button.clicked.connect(self.use_selected_model)
        self.import_button.clicked.connect(self._import_model)
        self.rename_button.clicked.connect(self.rename_selected_model)
        self.delete_button.clicked.connect(self.delete_selected_model)
        self.models.currentItemChanged.connect(self._show_card)

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
        lines, warnings = [], []
        for split, per_class in counts.items():
            lines.append(f"{split}: " + ", ".join(f"{k} {v}" for k, v in per_class.items()))
            empty = [k for k, v in per_class.items() if v == 0 and not k.startswith("?")]
            tiny = [k for k, v in per_class.items() if 0 < v < TINY_CLASS and not k.startswith("?")]
            if empty:
                warnings.append(f"{split}: no images for {', '.join(empty)}")
            if tiny:
                warnings.append(f"{split}: very few images for {', '.join(tiny)}")
        self.counts_label.setText("\n".join(lines + [f"⚠ {w}" for w in warnings]))
        return counts

    def _offer_validation(self, path: str) -> None:
        """Offer the dataset's own validation split only where it has one (FER2013), and default to it there.

        A class-folder tree has none: holding out 15% per class is then the only choice.
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
        out = model_store.new_model_dir()
        from_scratch = self.mode.currentIndex() == 1
        data = self.data_edit.text().strip()
        config = TrainConfig(
            data=data, out=str(out), epochs=self.epochs.value(), batch_size=self.batch.value(),
            learning_rate=self.lr.value(), init=None if from_scratch else str(self.engine.model_path),
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
        self._epoch_times = []
        self._epoch_started = time.monotonic()
        self._total_epochs = config.epochs
        worker = TrainWorker(config, self.engine.model_path)
        self.runs.start(
            worker,
            {
                worker.signals.epoch_ended: self._on_epoch,
                worker.signals.batch_progress: self._on_batch,
                worker.signals.warning: self._warn,
                worker.data_ready: self._on_data_ready,
                worker.finished_training: self._on_finished,
                worker.failed: self._on_failed,
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
        self.model_runs.discard()

    def _on_data_ready(self, counts: dict) -> None:
        train, val = sum(counts["train"].values()), sum(counts["val"].values())
        self.status.setText(f"Training on {count(train, 'image')}, validating on {val:,}…")

    def _on_batch(self, step: int, steps: int, per_step: float) -> None:
        self.epoch_progress.setMaximum(steps)
        self.epoch_progress.setValue(step)
        if self.stopping:
            return
        epochs_done = len(self._epoch_times)
        per_epoch = sum(self._epoch_times) / epochs_done if epochs_done else per_step * steps
        left = (steps - step) * per_step + (self._total_epochs - epochs_done - 1) * per_epoch
        self.time_left.setText(f"epoch {epochs_done + 1}/{self._total_epochs}, about {_duration(left)} left")

    def _on_epoch(self, epoch: int, logs: dict) -> None:
        now = time.monotonic()
        self._epoch_times.append(now - self._epoch_started)
        self._epoch_started = now
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
        self.status.setText(
            f"Done{stopped}: {model_store.split_figure('validation', card['evaluation']['val'])}. "
            f"Saved to {self.last_model}"
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
    def refresh_models(self) -> None:
        self.models.clear()
        active = self.engine.model_path.resolve()
        for stored in model_store.list_models():
            mark = "● " if stored.path.resolve() == active else ""
            item = QListWidgetItem(mark + stored.summary())
            item.setToolTip(f"{stored.summary()}\n{stored.path}")
            item.setData(Qt.ItemDataRole.UserRole, stored)
            self.models.addItem(item)

    def _show_card(self, item: QListWidgetItem | None, _prev=None) -> None:
        stored = None if item is None else item.data(Qt.ItemDataRole.UserRole)
        for button in (self.rename_button, self.delete_button):
            button.setEnabled(stored is not None and not stored.bundled)
        if stored is None:
            self.card_view.clear()
        else:
            self.card_view.setMarkdown(model_store.card_text(stored))

    def selected_model(self) -> model_store.StoredModel | None:
        item = self.models.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _editable_selection(self, done: str) -> model_store.StoredModel | None:
        """The selected model if it may be ``done`` ("deleted", "renamed"); else None, the reason shown."""
        stored = self.selected_model()
        if stored is None:
            return None
        try:
            model_store.check_editable(stored, self.engine.model_path, done)
        except model_store.ModelEditError as exc:
            self.status.setText(f"⚠ Not {done}: {exc}.")
            return None
        return stored

    def delete_selected_model(self) -> None:
        """Delete a user model's files after asking; never the bundled default or the model in use."""
        stored = self._editable_selection("deleted")
        if stored is None:
            return
        if not ask_yes_no(self, "Delete model", f"Delete {stored.name} and its files?\n{stored.path.parent}"):
            return
        try:
            model_store.delete_model(stored, self.engine.model_path)
        except (model_store.ModelEditError, OSError) as exc:
            self.status.setText(f"⚠ Not deleted: {exc}")
            return
        if self.last_model is not None and stored.path.parent in self.last_model.parents:
            self.last_model = None
            self.use_button.setEnabled(False)
        self.refresh_models()
        self.status.setText(f"Deleted {stored.name}.")

    def rename_selected_model(self) -> None:
        stored = self._editable_selection("renamed")
        if stored is None:
            return
        name, ok = QInputDialog.getText(self, "Rename model", "New name:", text=stored.name)
        if not ok or name.strip() == stored.name:
            return
        try:
            new_path = model_store.rename_model(stored, name, self.engine.model_path)
        except (model_store.ModelEditError, OSError) as exc:
            self.status.setText(f"⚠ Not renamed: {exc}")
            return
        if self.last_model is not None and stored.path.parent in self.last_model.parents:
            self.last_model = new_path
        self.refresh_models()
        self.status.setText(f"Renamed {stored.name} to {new_path.parent.name}.")

    def use_model(self, path: str | Path) -> None:
        """Switch Live and Label to ``path``: loaded on a worker thread, swapped in between two frames.

        ``model_changed`` follows, or ``model_refused`` (the current model stays active).
        """
        self.status.setText(f"Loading model {path}…")
        for button in (self.use_button, self.restore_button):
            button.setEnabled(False)
        worker = ModelLoadWorker(self.engine, path)
        self.model_runs.start(
            worker, {worker.loaded: self._on_model_loaded, worker.refused: self._on_model_refused}
        )
        self.model_loading.emit(str(path))

    def _on_model_loaded(self, path: str) -> None:
        self._model_load_ended()
        try:
            model_store.set_active_model(path)
            remembered = ""
        except OSError as exc:
            remembered = f" (for this session only: the choice could not be saved, {exc.strerror or exc})"
        self.refresh_models()
        self.status.setText(f"Now using {path}{remembered}")
        self.model_changed.emit(path)

    def _on_model_refused(self, text: str) -> None:
        self._model_load_ended()
        self.status.setText(f"⚠ Model refused: {text}. The current model stays active.")
        self.message.emit(text)
        self.model_refused.emit(text)

    def _model_load_ended(self) -> None:
        self.restore_button.setEnabled(True)
        self.use_button.setEnabled(self.last_model is not None and not self.runs.is_running())

    def use_new_model(self) -> None:
        if self.last_model is not None and self._confirm_switch(self.last_card):
            self.use_model(self.last_model)

    def use_selected_model(self) -> None:
        item = self.models.currentItem()
        if item is not None:
            stored = item.data(Qt.ItemDataRole.UserRole)
            if self._confirm_switch(stored.card):
                self.use_model(stored.path)

    def _confirm_switch(self, card: dict | None) -> bool:
        """Ask first when the model scored lower than the current one on the same validation data."""
        from training.card import read_card

        current = self.engine.model_path
        caution = model_store.lower_than_current(card, current, read_card(current))
        if caution is None:
            return True
        return ask_yes_no(self, "Use a weaker model?", f"{caution}\n\nUse it anyway?")

    def _import_model(self) -> None:
        path = choose_open_file(self, "Add a Keras model", "model_import", "Keras models (*.keras)")
        if not path:
            return
        try:
            stored = model_store.import_model(path)
        except ModelLoadError as exc:
            self.status.setText(f"⚠ Model refused: {exc}")
            return
        except OSError as exc:
            self.status.setText(f"⚠ Model not added: {exc.strerror or exc} ({exc.filename or path})")
            return
        self.refresh_models()
        self.status.setText(f"Added {stored}; select it and press 'Use selected model'.")


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"
