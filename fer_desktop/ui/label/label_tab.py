"""The Label tab: label a folder, review faces, correct or confirm labels, export.

The tab draws a :class:`~fer_desktop.labelling.session.LabelSession` and forwards what the
user does to it; the session holds the run's rows and the rules for changing them.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fer_desktop.labelling.rows import STATUS_OK, LabelRow, LabelSummary
from fer_desktop.labelling.session import FILTERS, LabelSession, Replacement, detail_title, filter_texts
from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.dialogs import ask_yes_no, choose_folder, run_export_dialog
from fer_desktop.ui.label.controls import (
    EnterStaysInEditor,
    ExportButtons,
    LabelButtons,
    face_grid,
    label_export_dialog,
    tab_shortcut,
)
from fer_desktop.ui.models.face_grid_model import ROW_ROLE, FaceFilterModel, FaceListModel
from fer_desktop.ui.widgets.frame_view import FrameView
from fer_desktop.ui.widgets.probability_panel import ProbabilityPanel
from fer_desktop.ui.workers.label_worker import LabelProgress, LabelWorker, WholeImageWorker
from fer_desktop.ui.workers.runs import WorkerSlot
from training.contract.photos import PhotoError
from training.contract.wording import count

# While photos arrive, the filter's counts are redrawn at most this often: each redraw counts
# every face so far, so redrawing per photo would cost the GUI thread O(n²) over a large folder.
COUNTS_REDRAW_S = 0.25


def _session_attribute(name: str) -> property:
    """The session's ``name``, read and written through the tab (scripts and tests use the tab's)."""
    return property(
        lambda self: getattr(self.session, name), lambda self, value: setattr(self.session, name, value)
    )


class LabelTab(QWidget):
    finished = Signal(object)  # LabelSummary, when a run ends (completed or cancelled)
    message = Signal(str)

    rows = _session_attribute("rows")
    summary = _session_attribute("summary")
    folder = _session_attribute("folder")
    labelled_with = _session_attribute("labelled_with")
    corrections = _session_attribute("corrections")

    def __init__(self, engine: AnalyzerEngine, parent=None):
        super().__init__(parent)
        self.engine = engine
        self.session = LabelSession()
        self.runs = WorkerSlot()
        self.whole_runs = WorkerSlot()  # photos taken whole as the face
        self._counts_drawn = 0.0  # when the filter's counts were last redrawn (time.monotonic)
        self._build()

    def _build(self) -> None:
        self.folder_button = QPushButton("Choose folder…")
        self.folder_label = QLabel("No folder")
        self.model_label = QLabel("")  # which model labelled the grid
        self.progress = QProgressBar()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.relabel_button = QPushButton("Re-label with the current model")
        self.relabel_button.setToolTip(
            "Label this folder again with the model now in use; corrections are kept"
        )
        self.relabel_button.setEnabled(False)
        self.emotion_filter = QComboBox()
        self.emotion_filter.addItems(filter_texts([]))
        self.confidence_filter = QDoubleSpinBox()
        self.confidence_filter.setRange(0.0, 1.0)
        self.confidence_filter.setSingleStep(0.05)
        self.confidence_filter.setPrefix("confidence ≥ ")
        EnterStaysInEditor(self.confidence_filter)
        self.exports = ExportButtons()
        self.export_csv_button, self.export_json_button, self.export_crops_button = (
            self.exports.buttons[kind] for kind in ("csv", "json", "crops")
        )
        self.checked_only = self.exports.checked_only
        self._enable_exports(False)

        top = QHBoxLayout()
        for w in (self.folder_button, self.folder_label, self.model_label, self.progress,
                  self.cancel_button, self.relabel_button):  # fmt: skip
            top.addWidget(w)
        filters = QHBoxLayout()
        for w in (QLabel("Show"), self.emotion_filter, self.confidence_filter):
            filters.addWidget(w)
        filters.addStretch(1)
        filters.addWidget(self.exports)

        self.faces = FaceListModel(self)
        self.filtered = FaceFilterModel(self)
        self.filtered.setSourceModel(self.faces)
        self.grid = face_grid(self.filtered)

        self.photo = FrameView()
        self.probs = ProbabilityPanel()
        self.label_buttons = LabelButtons(self)
        self.correct_buttons = self.label_buttons.buttons
        self.confirm_button = self.label_buttons.confirm_button
        self.whole_button = QPushButton("Use the whole image as the face")
        self.whole_button.setToolTip(
            "For photos where no face was found: classify the whole photo as one face"
        )
        self.whole_button.setEnabled(False)
        self.not_whole_button = QPushButton("Not the whole image")
        self.not_whole_button.setToolTip("Take back 'Use the whole image as the face': no face in this photo")
        self.not_whole_button.setEnabled(False)
        tab_shortcut(self, QKeySequence(QKeySequence.StandardKey.Undo), self.undo)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.addWidget(self.photo, 1)
        detail_layout.addWidget(self.probs)
        detail_layout.addWidget(self.label_buttons)
        whole = QHBoxLayout()
        whole.addWidget(self.whole_button, 1)
        whole.addWidget(self.not_whole_button)
        detail_layout.addLayout(whole)
        split = QSplitter()
        split.addWidget(self.grid)
        split.addWidget(detail)
        split.setSizes([600, 500])
        self.status = QLabel("")

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)

        self.folder_button.clicked.connect(self._choose_folder)
        self.cancel_button.clicked.connect(self.cancel)
        self.relabel_button.clicked.connect(self.relabel)
        self.whole_button.clicked.connect(self.use_whole_image_for_selected)
        self.not_whole_button.clicked.connect(self.stop_whole_image_for_selected)
        self.emotion_filter.currentIndexChanged.connect(self._apply_filter)
        self.confidence_filter.valueChanged.connect(self._apply_filter)
        self.grid.selectionModel().currentChanged.connect(self._show_face)
        self.grid.selectionModel().selectionChanged.connect(self._update_whole_button)
        self.exports.requested.connect(self._ask_and_export)
        self.label_buttons.chosen.connect(self.set_label_for_selected)
        self.label_buttons.confirmed.connect(self.confirm_selected)

    # -- labelling -----------------------------------------------------------------
    def _choose_folder(self) -> None:
        if not self.confirm_discard("Label another folder anyway?"):
            return
        folder = choose_folder(self, "Folder of photos", "label_photos")
        if folder:
            self.start_labelling(folder)

    @property
    def worker(self) -> LabelWorker | None:
        return self.runs.current

    def start_labelling(self, folder: str | Path) -> None:
        self.shutdown()
        note = self.session.start(folder, self.engine.model_path)
        if note:
            self.message.emit(note)
        self.folder_label.setText(str(self.session.folder))
        self.model_label.setText(self.session.model_text())
        self.faces.clear()
        self._refresh_counts()
        self.photo.clear()
        self.probs.setTitle("")
        self.probs.clear()
        self.progress.setValue(0)
        self.relabel_button.setEnabled(False)
        worker = LabelWorker(self.engine, self.session.folder, self.session.whole_image())
        self.runs.start(
            worker,
            {
                worker.progress: self._on_progress,
                worker.returned: lambda result: self._on_done(*result),
                worker.errored: self._on_failed,
            },
        )
        self.cancel_button.setEnabled(True)
        self._enable_exports(False)  # until this run's rows are in: an export now would hold none
        self.status.setText("Labelling… (loading the models the first time)")

    def cancel(self) -> None:
        """Stop after the current photo; the run's rows so far still arrive (``returned``, cancelled)."""
        self.runs.request_stop()

    def relabel(self) -> None:
        """Label the same folder again with the model now in use; corrections come back on their faces."""
        if self.session.folder is not None:
            self.start_labelling(self.session.folder)

    def model_changed(self, _path: str = "") -> None:
        """Another model is in use: offer to label the folder again with it."""
        self._update_relabel_button()

    def _update_relabel_button(self) -> None:
        self.relabel_button.setEnabled(self.session.can_relabel(self.engine.model_path))
        if self.relabel_button.isEnabled():
            self.relabel_button.setToolTip(
                f"Labelled with {self.session.labelled_with.name}; label again with "
                f"{self.engine.model_path.name} (corrections are kept)"
            )

    def shutdown(self) -> None:
        """Drop the current run without waiting for it; nothing it still sends is shown."""
        self.runs.discard()
        self.whole_runs.discard()
        self.session.stop()
        self.cancel_button.setEnabled(False)

    def _on_progress(self, step: LabelProgress) -> None:
        self._on_rows(step.rows)
        self.progress.setMaximum(max(step.total, 1))
        self.progress.setValue(step.done)

    def _on_rows(self, rows: list[LabelRow]) -> None:
        self.session.arrived(rows)
        self.faces.add_rows(rows)
        if time.monotonic() - self._counts_drawn >= COUNTS_REDRAW_S:
            self._refresh_counts()  # _on_done redraws them once more with every row

    def _on_done(self, rows: list[LabelRow], summary: LabelSummary) -> None:
        self.session.finish(rows, summary)
        self.cancel_button.setEnabled(False)
        self.model_label.setText(self.session.model_text())
        self._show_summary()
        self._refresh_counts()
        self._update_relabel_button()
        self._update_whole_button()
        self._enable_exports(bool(rows))
        note = self.session.unreadable_note()
        if note is not None:
            self.message.emit(f"⚠ {note}")
        self.finished.emit(summary)

    def _enable_exports(self, enabled: bool) -> None:
        self.exports.set_enabled(enabled)

    def _show_summary(self) -> None:
        text = self.session.summary_text()
        note = self.session.unreadable_note()
        if text is not None:
            self.status.setText(text if note is None else f"⚠ {note}. {text}")

    def _refresh_counts(self) -> None:
        """The filter's entries with their numbers: ``happy (12)``, ``no face (3)``."""
        for i, text in enumerate(filter_texts(self.faces.faces)):
            self.emotion_filter.setItemText(i, text)
        self._counts_drawn = time.monotonic()

    def _on_failed(self, text: str) -> None:
        self.session.fail()
        self.cancel_button.setEnabled(False)
        self._update_relabel_button()
        self.status.setText(text)
        self.message.emit(text)

    # -- review and correction ---------------------------------------------------------
    def _apply_filter(self) -> None:
        self.filtered.set_filter(FILTERS[self.emotion_filter.currentIndex()], self.confidence_filter.value())

    def select_face(self, proxy_row: int) -> None:
        index = self.filtered.index(proxy_row, 0)
        self.grid.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _show_face(self, current: QModelIndex, _previous: QModelIndex = QModelIndex()) -> None:  # noqa: B008
        row: LabelRow | None = current.data(ROW_ROLE) if current.isValid() else None
        if row is None or self.session.folder is None:
            return
        self.probs.setTitle(detail_title(row))
        if row.status == STATUS_OK:
            self.probs.set_probabilities(row.probs)
        else:
            self.probs.clear()
        try:
            image = self.session.photo_of(row)
        except PhotoError as exc:
            self.photo.clear(f"{row.path}: {exc}")  # not over the photo shown before
            return
        self.photo.show_frame(image)

    def selected_rows(self) -> list[LabelRow]:
        return [i.data(ROW_ROLE) for i in self.grid.selectionModel().selectedIndexes()]

    def set_label_for_selected(self, emotion: str) -> None:
        if self.session.corrections is not None:
            self._show_changes(self.session.set_label(self.selected_rows(), emotion))

    def confirm_selected(self) -> None:
        """Enter or C: the selected faces' labels are right (saved at once, undone with Ctrl+Z)."""
        if self.session.corrections is not None:
            self._show_changes(self.session.confirm(self.selected_rows()))

    def undo(self) -> None:
        """Ctrl+Z: take back the latest correction or confirmation (saved at once, like it)."""
        if self.session.corrections is not None:
            self._show_changes(self.session.undo())

    def _show_changes(self, rows: list[LabelRow]) -> None:
        self.faces.rows_changed(rows)
        self._apply_filter()
        self._refresh_counts()
        self._show_summary()
        current = self.grid.currentIndex()
        if current.isValid():
            self._show_face(current)
        if self.session.save_error:
            self.message.emit(f"⚠ {self.session.save_error}")

    # -- photos without a face -------------------------------------------------------------
    def _update_whole_button(self, *_args) -> None:
        selected = self.selected_rows()
        self.whole_button.setEnabled(self.session.can_take_whole(selected))
        self.not_whole_button.setEnabled(self.session.can_stop_whole(selected))

    def _show_replacements(self, replaced: list[Replacement]) -> None:
        self.faces.replace_rows(replaced)
        self._show_changes([new for _old, new in replaced])
        self._update_whole_button()

    def stop_whole_image_for_selected(self) -> None:
        """Back to "no face" for the selected whole-photo faces (their corrections stay saved)."""
        replaced = self.session.stop_whole_image(self.selected_rows())
        if replaced:
            self._show_replacements(replaced)

    def use_whole_image_for_selected(self) -> None:
        """Classify each selected photo without a face whole, as one face (remembered for this folder)."""
        paths = self.session.begin_whole_image(self.selected_rows())
        if not paths:
            return
        worker = WholeImageWorker(self.engine, self.session.folder, paths)
        self.whole_runs.start(
            worker, {worker.returned: self._on_whole_images, worker.errored: self._on_whole_failed}
        )
        self.whole_button.setEnabled(False)

    def _on_whole_failed(self, text: str) -> None:
        self.session.whole_failed()
        self._update_whole_button()
        self.message.emit(text)

    def _on_whole_images(self, results: dict[str, list[LabelRow]]) -> None:
        replaced = self.session.take_whole(results)
        self._show_replacements(replaced)
        self.message.emit(f"{count(len(replaced), 'photo')} taken whole as the face")

    def confirm_discard(self, question: str) -> bool:
        """Ask before leaving corrections that no export holds yet (they stay saved for this folder)."""
        warning = self.session.unexported_warning()
        if warning is None:
            return True
        return ask_yes_no(self, "Corrections not exported", f"{warning}\n\n{question}")

    # -- export ----------------------------------------------------------------------
    def export_dialog(self, kind: str) -> QFileDialog:
        return label_export_dialog(self, kind)

    def _ask_and_export(self, kind: str) -> None:
        dest = run_export_dialog(self.export_dialog(kind), "label_export")
        if dest:
            self.export(kind, dest)

    def export(self, kind: str, dest: str | Path) -> None:
        """Write the (corrected) results, or with "Checked faces only" the faces a person checked;
        crops form a class-folder dataset for training."""
        checked = self.checked_only.isChecked()
        self.message.emit(self.session.export(kind, dest, self.engine.model_path, checked))
