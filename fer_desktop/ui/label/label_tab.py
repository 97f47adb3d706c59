"""The Label tab: label a folder, review faces, correct labels, export."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fer_desktop import labelling
from fer_desktop.labelling import FACE_WHOLE_IMAGE, STATUS_NO_FACE, STATUS_OK, LabelRow, LabelSummary
from fer_desktop.labelling.corrections import CorrectionStore
from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.dialogs import ask_yes_no, choose_folder, export_dialog, run_export_dialog
from fer_desktop.ui.models.face_grid_model import ROW_ROLE, FaceFilterModel, FaceListModel
from fer_desktop.ui.widgets.frame_view import FrameView
from fer_desktop.ui.widgets.probability_panel import ProbabilityPanel
from fer_desktop.ui.workers.label_worker import LabelWorker, WholeImageWorker
from fer_desktop.ui.workers.runs import WorkerSlot
from fer_desktop.write_errors import describe_write_error
from training.contract.labels import CLASS_NAMES
from training.contract.photos import PhotoError, read_photo
from training.contract.wording import count

# While photos arrive, the filter's counts are redrawn at most this often: each redraw counts
# every face so far, so redrawing per photo would cost the GUI thread O(n²) over a large folder.
COUNTS_REDRAW_S = 0.25

FILTERS = [
    None,
    *CLASS_NAMES,
    STATUS_NO_FACE,
]  # the emotion filter's entries: all faces, each emotion, no face


class LabelTab(QWidget):
    finished = Signal(object)  # LabelSummary, when a run ends (completed or cancelled)
    message = Signal(str)

    def __init__(self, engine: AnalyzerEngine, parent=None):
        super().__init__(parent)
        self.engine = engine
        self.runs = WorkerSlot()
        self.whole_runs = WorkerSlot()  # photos taken whole as the face
        self.folder: Path | None = None
        self.labelled_with: Path | None = None  # the model of the current folder's run
        self.labelling = False  # a run's rows are still to come
        self.whole_pending = False  # photos being classified whole
        self.rows: list[LabelRow] = []
        self._counts_drawn = 0.0  # when the filter's counts were last redrawn (time.monotonic)
        self.summary: LabelSummary | None = None
        self.corrections: CorrectionStore | None = None
        self._build()

    def _build(self) -> None:
        self.folder_button = QPushButton("Choose folder…")
        self.folder_label = QLabel("No folder")
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
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_json_button = QPushButton("Export JSON…")
        self.export_crops_button = QPushButton("Export crops…")
        for b in (self.export_csv_button, self.export_json_button, self.export_crops_button):
            b.setEnabled(False)

        top = QHBoxLayout()
        for w in (
            self.folder_button,
            self.folder_label,
            self.progress,
            self.cancel_button,
            self.relabel_button,
        ):
            top.addWidget(w)
        filters = QHBoxLayout()
        for w in (QLabel("Show"), self.emotion_filter, self.confidence_filter):
            filters.addWidget(w)
        filters.addStretch(1)
        for w in (self.export_csv_button, self.export_json_button, self.export_crops_button):
            filters.addWidget(w)

        self.faces = FaceListModel(self)
        self.filtered = FaceFilterModel(self)
        self.filtered.setSourceModel(self.faces)
        self.grid = QListView()
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(QSize(96, 96))
        self.grid.setGridSize(QSize(132, 150))
        self.grid.setWordWrap(True)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.grid.setUniformItemSizes(True)
        self.grid.setModel(self.filtered)

        self.photo = FrameView()
        self.probs = ProbabilityPanel()
        self.correct_buttons: dict[str, QPushButton] = {}
        correct = QHBoxLayout()
        correct.addWidget(QLabel("Set label:"))
        for i, name in enumerate(CLASS_NAMES, start=1):
            button = QPushButton(f"{i} {name}")
            button.setToolTip(f"Press {i}")
            button.clicked.connect(lambda _=False, n=name: self.set_label_for_selected(n))
            shortcut = QShortcut(
                QKeySequence(str(i)), self, activated=lambda n=name: self.set_label_for_selected(n)
            )
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            correct.addWidget(button)
            self.correct_buttons[name] = button
        self.whole_button = QPushButton("Use the whole image as the face")
        self.whole_button.setToolTip(
            "For photos where no face was found: classify the whole photo as one face"
        )
        self.whole_button.setEnabled(False)
        self.not_whole_button = QPushButton("Not the whole image")
        self.not_whole_button.setToolTip("Take back 'Use the whole image as the face': no face in this photo")
        self.not_whole_button.setEnabled(False)
        undo = QShortcut(QKeySequence.StandardKey.Undo, self, activated=self.undo)
        undo.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.addWidget(self.photo, 1)
        detail_layout.addWidget(self.probs)
        detail_layout.addLayout(correct)
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
        self.export_csv_button.clicked.connect(lambda: self._ask_and_export("csv"))
        self.export_json_button.clicked.connect(lambda: self._ask_and_export("json"))
        self.export_crops_button.clicked.connect(lambda: self._ask_and_export("crops"))

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
        self.folder = Path(folder)
        self.folder_label.setText(str(self.folder))
        self.rows = []
        self.summary = None
        self.faces.clear()
        self._refresh_counts()
        self.photo.clear()
        self.probs.setTitle("")
        self.probs.clear()
        self.progress.setValue(0)
        same_folder = self.corrections is not None and self.corrections.folder == self.folder.resolve()
        if not same_folder:  # the same folder keeps its store: corrections not saved yet stay in it
            self.corrections = CorrectionStore(self.folder)
            if self.corrections.load_note:
                self.message.emit(self.corrections.load_note)
        self.labelled_with = self.engine.model_path
        self.labelling = True
        self.relabel_button.setEnabled(False)
        worker = LabelWorker(self.engine, self.folder, frozenset(self.corrections.whole_image))
        self.runs.start(
            worker,
            {
                worker.progress: self._on_progress,
                worker.rows_ready: self._on_rows,
                worker.done: self._on_done,
                worker.failed: self._on_failed,
            },
        )
        self.cancel_button.setEnabled(True)
        for b in (self.export_csv_button, self.export_json_button, self.export_crops_button):
            b.setEnabled(False)  # until this run's rows are in: an export now would hold none
        self.status.setText("Labelling… (loading the models the first time)")

    def cancel(self) -> None:
        """Stop after the current photo; the run's rows so far still arrive (``done``, cancelled)."""
        self.runs.request_stop()

    def relabel(self) -> None:
        """Label the same folder again with the model now in use; corrections come back on their faces."""
        if self.folder is not None:
            self.start_labelling(self.folder)

    def model_changed(self, _path: str = "") -> None:
        """Another model is in use: offer to label the folder again with it."""
        self._update_relabel_button()

    def _update_relabel_button(self) -> None:
        stale = self.labelled_with is not None and self.labelled_with != self.engine.model_path
        self.relabel_button.setEnabled(self.folder is not None and stale and not self.labelling)
        if self.relabel_button.isEnabled():
            self.relabel_button.setToolTip(
                f"Labelled with {self.labelled_with.name}; label again with {self.engine.model_path.name}"
                " (corrections are kept)"
            )

    def shutdown(self) -> None:
        """Drop the current run without waiting for it; nothing it still sends is shown."""
        self.runs.discard()
        self.whole_runs.discard()
        self.labelling = self.whole_pending = False
        self.cancel_button.setEnabled(False)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def _on_rows(self, rows: list[LabelRow]) -> None:
        if self.corrections is not None:
            self.corrections.attach(rows)  # saved corrections back on the faces before they show
        self.faces.add_rows(rows)
        if time.monotonic() - self._counts_drawn >= COUNTS_REDRAW_S:
            self._refresh_counts()  # _on_done redraws them once more with every row

    def _on_done(self, rows: list[LabelRow], summary: LabelSummary) -> None:
        if self.corrections is not None:
            self.corrections.attach(rows)
        self.rows = rows
        self.summary = summary
        self.labelling = False
        self.cancel_button.setEnabled(False)
        self._show_summary()
        self._refresh_counts()
        self._update_relabel_button()
        self._update_whole_button()
        for b in (self.export_csv_button, self.export_json_button, self.export_crops_button):
            b.setEnabled(bool(rows))
        self.finished.emit(summary)

    def _show_summary(self) -> None:
        """The run's figures, recounted from the rows as they are now (corrections included)."""
        if self.summary is None:
            return
        labelling.count_rows(self.rows, self.summary)
        prefix = "Cancelled: " if self.summary.cancelled else ""
        self.status.setText(prefix + self.summary.text().replace("\n", "; "))

    def _refresh_counts(self) -> None:
        """The filter's entries with their numbers: ``happy (12)``, ``no face (3)``."""
        for i, text in enumerate(filter_texts(self.faces.faces)):
            self.emotion_filter.setItemText(i, text)
        self._counts_drawn = time.monotonic()

    def _on_failed(self, text: str) -> None:
        self.labelling = False
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
        if row is None or self.folder is None:
            return
        if row.status == STATUS_OK:
            self.probs.setTitle(f"{row.path}, face {row.face}: {row.caption()}")
            self.probs.set_probabilities(row.probs)
        else:
            self.probs.setTitle(f"{row.path}: no face found (use the whole image as the face?)")
            self.probs.clear()
        try:
            image = read_photo(self.folder / row.path)
        except PhotoError as exc:
            self.photo.show_message(f"{row.path}: {exc}")
            return
        b = row.box
        if b is not None:
            thickness = max(2, image.shape[1] // 300)
            cv2.rectangle(image, (b.x, b.y), (b.x + b.w, b.y + b.h), (40, 220, 40), thickness)
        self.photo.show_frame(image)

    def selected_rows(self) -> list[LabelRow]:
        return [i.data(ROW_ROLE) for i in self.grid.selectionModel().selectedIndexes()]

    def set_label_for_selected(self, emotion: str) -> None:
        if self.corrections is not None:
            self._show_changes(self.corrections.set_label(self.selected_rows(), emotion))

    def undo(self) -> None:
        """Ctrl+Z: take back the latest correction (saved at once, like the correction)."""
        if self.corrections is not None:
            self._show_changes(self.corrections.undo())

    def _show_changes(self, rows: list[LabelRow]) -> None:
        for row in rows:
            self.faces.row_changed(row)
        self._apply_filter()
        self._refresh_counts()
        self._show_summary()
        current = self.grid.currentIndex()
        if current.isValid():
            self._show_face(current)
        if self.corrections is not None and self.corrections.last_error:
            self.message.emit(f"⚠ {self.corrections.last_error}")

    # -- photos without a face -------------------------------------------------------------
    def _update_whole_button(self, *_args) -> None:
        no_face = any(r.status == STATUS_NO_FACE for r in self.selected_rows())
        busy = self.labelling or self.whole_pending
        self.whole_button.setEnabled(no_face and not busy)
        self.not_whole_button.setEnabled(bool(self._chosen_whole(self.selected_rows())) and not busy)

    def _chosen_whole(self, rows: list[LabelRow]) -> list[LabelRow]:
        """The faces among ``rows`` that are whole photos because a person chose so."""
        chosen = self.corrections.whole_image if self.corrections is not None else set()
        return [
            r
            for r in rows
            if r.status == STATUS_OK and r.face_source == FACE_WHOLE_IMAGE and r.path in chosen
        ]

    def stop_whole_image_for_selected(self) -> None:
        """Back to "no face" for the selected whole-photo faces; a correction of one stays saved
        (it comes back if the whole image is chosen again)."""
        rows = self._chosen_whole(self.selected_rows())
        if not rows or self.corrections is None or self.labelling or self.whole_pending:
            return
        self.corrections.stop_whole_image([r.path for r in rows])
        changed = []
        for face in rows:
            photo = LabelRow(face.path, STATUS_NO_FACE, crop=face.crop)
            self.rows = [photo if r is face else r for r in self.rows]
            self.faces.replace_row(face, photo)
            changed.append(photo)
        self._show_changes(changed)
        self._update_whole_button()

    def use_whole_image_for_selected(self) -> None:
        """Classify each selected photo without a face whole, as one face (remembered for this folder)."""
        paths = sorted({r.path for r in self.selected_rows() if r.status == STATUS_NO_FACE})
        if (
            not paths
            or self.folder is None
            or self.corrections is None
            or self.labelling
            or self.whole_pending
        ):
            return
        self.corrections.use_whole_image(paths)
        worker = WholeImageWorker(self.engine, self.folder, paths)
        self.whole_pending = True
        self.whole_runs.start(
            worker, {worker.done: self._on_whole_images, worker.failed: self._on_whole_failed}
        )
        self.whole_button.setEnabled(False)

    def _on_whole_failed(self, text: str) -> None:
        self.whole_pending = False
        self._update_whole_button()
        self.message.emit(text)

    def _on_whole_images(self, results: dict[str, list[LabelRow]]) -> None:
        self.whole_pending = False
        changed = []
        for rel, new_rows in results.items():
            old = next((r for r in self.rows if r.path == rel and r.status == STATUS_NO_FACE), None)
            if old is None or len(new_rows) != 1 or new_rows[0].status != STATUS_OK:
                continue  # unreadable since, or no longer listed: the photo stays as it was
            new = new_rows[0]
            if self.corrections is not None:
                self.corrections.attach([new])
            self.rows = [new if r is old else r for r in self.rows]  # by identity: == compares arrays
            self.faces.replace_row(old, new)
            changed.append(new)
        self._show_changes(changed)
        self._update_whole_button()
        self.message.emit(f"{count(len(changed), 'photo')} taken whole as the face")

    def confirm_discard(self, question: str) -> bool:
        """Ask before leaving corrections that no export holds yet (they stay saved for this folder)."""
        warning = self.corrections.unexported_warning() if self.corrections is not None else None
        if warning is None:
            return True
        return ask_yes_no(self, "Corrections not exported", f"{warning}\n\n{question}")

    # -- export ----------------------------------------------------------------------
    def export_dialog(self, kind: str) -> QFileDialog:
        """Qt's own file dialog: "Create New Folder" is there, so an export can go to a new folder."""
        if kind == "crops":
            return export_dialog(self, "Export crops into (one folder per emotion)", "label_export")
        dialog = export_dialog(self, f"Export {kind.upper()}", "label_export", f"labels.{kind}")
        dialog.setNameFilter(f"{kind.upper()} files (*.{kind})")
        dialog.setDefaultSuffix(kind)
        return dialog

    def _ask_and_export(self, kind: str) -> None:
        dest = run_export_dialog(self.export_dialog(kind), "label_export")
        if dest:
            self.export(kind, dest)

    def export(self, kind: str, dest: str | Path) -> None:
        """Write the (corrected) results; crops form a class-folder dataset for training."""
        try:
            if kind == "csv":
                labelling.write_csv(self.rows, dest)
            elif kind == "json":
                summary = labelling.count_rows(self.rows, self.summary or LabelSummary())
                labelling.write_json(
                    self.rows, dest, self.folder, labelling.model_id(self.engine.model_path), summary
                )
            else:
                n = labelling.export_crops(self.rows, dest)
        except OSError as exc:
            kept = "no earlier crop was removed" if kind == "crops" else "an earlier file there is unchanged"
            self.message.emit(f"Export failed: {describe_write_error(exc, dest)} ({kept})")
            return
        if self.corrections is not None:
            self.corrections.mark_exported(self.rows)
        self.message.emit(f"{count(n, 'crop')} exported to {dest}" if kind == "crops" else f"Exported {dest}")


def filter_texts(rows: list[LabelRow]) -> list[str]:
    """The emotion filter's entries with their counts, in ``FILTERS`` order."""
    counts = labelling.count_rows(
        [r for r in rows if r.status in (STATUS_OK, STATUS_NO_FACE)], LabelSummary()
    )
    return [
        f"all faces ({counts.faces})",
        *(f"{name} ({counts.emotions.get(name, 0)})" for name in CLASS_NAMES),
        f"no face ({counts.no_face})",
    ]
