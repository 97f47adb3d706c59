"""The Live tab's calibration panel: capture the selected face per emotion, fine-tune, use the result.

A thin view over ``fer_desktop.personal.captures.CalibrationStore`` (the captures on
disk) and ``fer_desktop.personal.fine_tune.personalize_folder`` (run by
``PersonalizeWorker`` on its own thread).  The Live tab only hands it each
frame, the selected face's box and its track id (``offer``); "Use this model" is a signal
the main window routes to the model controller, the one owner of the active model.

*Guided calibration* walks the user through the rest face and each emotion
(``guided_view.GuidedCalibrationView`` over ``fer_desktop.personal.guided.GuidedRun``):
its view replaces the free-capture controls, which are off while it runs, and it runs only
while a source does (``source_stopped`` cancels it).  Its check photos, in their own store,
give the per-emotion before/after of the "Fine-tune now" that follows it (only that one).

The photos are the user's own work: deleting them all (the check photos with them, as
the question says), or more than one of the selected thumbnails (the button or the
Delete key), asks first, naming how many.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fer_desktop.models import catalogue
from fer_desktop.personal.captures import MAX_PER_EMOTION, CalibrationStore, check_dir
from fer_desktop.personal.guided import CHECK, check_text
from fer_desktop.pipeline.faces import CROP_MARGIN, Box, crop_face
from fer_desktop.ui.dialogs import ask_yes_no
from fer_desktop.ui.live.guided_view import GuidedCalibrationView
from fer_desktop.ui.widgets.frame_view import bgr_to_qimage
from fer_desktop.ui.workers.personalize_worker import PersonalizeWorker
from fer_desktop.ui.workers.runs import WorkerSlot
from training.contract.labels import CLASS_NAMES
from training.contract.wording import count

THUMB = 56


class CalibrationPanel(QGroupBox):
    use_requested = Signal(str)  # path of the personalised model the user wants to use
    captured = Signal(str)  # path of a new calibration photo
    finished = Signal(dict)  # card of a finished fine-tune
    message = Signal(str)

    def __init__(self, engine, store: CalibrationStore | None = None, shortcut_host=None, parent=None):
        """Keys 1-7 pick an emotion while ``shortcut_host`` (the Live tab) or its children have focus."""
        super().__init__("Calibrate to my face", parent)
        self.engine = engine
        self.store = store or CalibrationStore()
        self.check_store = CalibrationStore(check_dir(self.store.root))
        self.settings = None  # PersonalizeSettings; None: the defaults
        self.runs = WorkerSlot()
        self.last_model: Path | None = None
        self.source_running = False  # Guided calibration needs a running source
        self._check_pending = False  # a guided run's check photos wait for the next fine-tune
        self._build(shortcut_host or self)
        self.refresh()

    def _build(self, shortcut_host) -> None:
        self.enabled_box = QCheckBox("Capture the selected face")
        self.guided_button = QPushButton("Guided calibration")
        self.guided_button.setToolTip(
            "Step by step: your rest face, then each emotion, a countdown before each (with a source "
            "running). Its check round sets the previous run's check photos aside (kept until you "
            "delete them)."
        )
        self.guided_view = GuidedCalibrationView(self.store, self.check_store)
        self.guided_view.hide()
        self.notice = QLabel(
            "While on, crops of the selected face are saved to your calibration folder until you "
            "delete them. Pick an emotion (or keys 1–7) and make that face."
        )
        # The folder in the tooltip: a long home folder in the text pushed Fine-tune below the window.
        self.notice.setToolTip(f"Calibration folder: {self.store.root}")
        self.notice.setWordWrap(True)
        self.emotion_buttons = QButtonGroup(self)
        grid = QGridLayout()
        for i, name in enumerate(CLASS_NAMES):
            button = QPushButton(f"{i + 1} {name}")
            button.setCheckable(True)
            self.emotion_buttons.addButton(button, i)
            grid.addWidget(button, i // 4, i % 4)
            shortcut = QShortcut(QKeySequence(str(i + 1)), shortcut_host, activated=button.click)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.counts_label = QLabel()
        self.thumbs = QListWidget()
        self.thumbs.setViewMode(QListWidget.ViewMode.IconMode)
        self.thumbs.setIconSize(QSize(THUMB, THUMB))
        self.thumbs.setMaximumHeight(2 * THUMB + 8)  # two rows of thumbnails, scrolled: the panel fits
        self.thumbs.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        for key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):  # Backspace: the Mac's delete key
            shortcut = QShortcut(QKeySequence(key), self.thumbs, activated=self.delete_selected)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.delete_button = QPushButton("Delete selected")
        self.delete_button.setToolTip("Delete the selected photos (or press Delete)")
        self.delete_all_button = QPushButton("Delete my calibration photos")
        self.tune_button = QPushButton("Fine-tune now")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.hide()  # while a fine-tune runs: the panel fits the window without it otherwise
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.use_button = QPushButton("Use this model")
        self.use_button.setEnabled(False)

        self.free_box = QWidget()  # the free capture: replaced by the guided view while a guided run is on
        free = QVBoxLayout(self.free_box)
        free.setContentsMargins(0, 0, 0, 0)
        start = QHBoxLayout()
        start.addWidget(self.enabled_box, 1)
        start.addWidget(self.guided_button)
        free.addLayout(start)
        free.addWidget(self.notice)
        free.addLayout(grid)
        free.addWidget(self.counts_label)
        free.addWidget(self.thumbs)
        buttons = QHBoxLayout()
        for w in (self.delete_button, self.delete_all_button):
            buttons.addWidget(w)
        free.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.free_box)
        layout.addWidget(self.guided_view)
        tune = QHBoxLayout()
        for w in (self.tune_button, self.stop_button, self.use_button):
            tune.addWidget(w)
        layout.addLayout(tune)
        layout.addWidget(self.progress)
        layout.addWidget(self.result_label)

        self.delete_button.clicked.connect(self.delete_selected)
        self.thumbs.itemSelectionChanged.connect(self._update_delete_buttons)
        self.delete_all_button.clicked.connect(self.delete_all)
        self.tune_button.clicked.connect(self.fine_tune)
        self.stop_button.clicked.connect(self.stop)
        self.use_button.clicked.connect(self.use_model)
        self.guided_button.clicked.connect(self.start_guided)
        self.guided_view.captured.connect(self.captured)
        self.guided_view.message.connect(self.message)
        self.guided_view.ended.connect(self._guided_ended)
        self.guided_view.left.connect(self._show_free_capture)

    # -- capture -----------------------------------------------------------------------
    def emotion(self) -> str | None:
        index = self.emotion_buttons.checkedId()
        return CLASS_NAMES[index] if index >= 0 else None

    def offer(self, image: np.ndarray, box: Box | None, track: int | None = None) -> None:
        """Called by the Live tab with each shown frame, the selected face's box (or None) and track id."""
        if self.guided_active():
            self.guided_view.offer(image, box, track)
            return
        emotion = self.emotion()
        if not self.enabled_box.isChecked() or emotion is None or box is None:
            return
        try:
            path = self.store.offer(emotion, crop_face(image, box, CROP_MARGIN))
        except OSError as exc:
            self.enabled_box.setChecked(False)
            self.message.emit(f"Calibration photo not saved: {exc}")
            return
        if path is not None:
            self._add_thumb(emotion, path)
            self._show_counts()
            self.captured.emit(str(path))

    # -- guided calibration ----------------------------------------------------------
    def guided_active(self) -> bool:
        return self.guided_view.active()

    def start_guided(self) -> None:
        """Start a guided run: its view replaces the free capture (off until the user goes back)."""
        if not self._idle() or not self.source_running:
            return
        self.enabled_box.setChecked(False)
        self.free_box.hide()
        self.guided_view.show()
        self.result_label.setText("")
        self.use_button.setEnabled(False)
        self.guided_view.start()
        self._show_counts()  # Fine-tune now and Delete are off while the run is on

    def set_source_running(self, running: bool) -> None:
        self.source_running = running
        self._update_delete_buttons()

    def source_stopped(self, reason: str) -> None:
        """The Live tab's source stopped, failed, ended or changed (``reason``, e.g. "The source
        stopped"): a guided run still on is cancelled, its photos kept, the reason shown."""
        self.set_source_running(False)
        if self.guided_active():
            self.guided_view.cancel(reason)

    def _guided_ended(self) -> None:
        run = self.guided_view.run
        self._check_pending = run is not None and bool(run.photos(CHECK))
        self.refresh()

    def _show_free_capture(self) -> None:
        self.guided_view.hide()
        self.free_box.show()
        self.refresh()

    def refresh(self) -> None:
        self.thumbs.clear()
        for emotion in CLASS_NAMES:
            for path in self.store.photos(emotion):
                self._add_thumb(emotion, path)
        self._show_counts()

    def _add_thumb(self, emotion: str, path: Path) -> None:
        crop = cv2.imread(str(path))
        item = QListWidgetItem(emotion)
        if crop is not None:
            small = cv2.resize(crop, (THUMB, THUMB), interpolation=cv2.INTER_AREA)
            item.setIcon(QIcon(QPixmap.fromImage(bgr_to_qimage(small))))
        item.setData(Qt.ItemDataRole.UserRole, str(path))
        self.thumbs.addItem(item)

    def _show_counts(self) -> None:
        counts = self.store.counts()
        self.counts_label.setText(
            " · ".join(f"{name} {n}/{MAX_PER_EMOTION}" for name, n in counts.items() if n) or "No photos yet."
        )
        checks = self.check_store.total()
        if checks:
            self.counts_label.setText(f"{self.counts_label.text()}\n{count(checks, 'check photo')}")
        self.tune_button.setEnabled(sum(counts.values()) > 0 and self._idle())
        self._update_delete_buttons()

    def _idle(self) -> bool:
        """No fine-tune reading the photos, no guided run taking them."""
        return not self._running() and not self.guided_active()

    def _update_delete_buttons(self) -> None:
        """Deleting needs photos (selected ones for "Delete selected"), and the panel idle."""
        idle = self._idle()
        self.delete_button.setEnabled(idle and bool(self.thumbs.selectedItems()))
        self.delete_all_button.setEnabled(idle and (self.thumbs.count() > 0 or self._check_photos() > 0))
        self.guided_button.setEnabled(idle and self.source_running)

    def delete_selected(self) -> None:
        """Delete the selected photos: one at once (it is in plain view), more only once confirmed."""
        paths = [Path(item.data(Qt.ItemDataRole.UserRole)) for item in self.thumbs.selectedItems()]
        if not paths or not self._idle():
            return
        question = f"Delete the {len(paths)} selected calibration photos? They cannot be recovered."
        if len(paths) > 1 and not ask_yes_no(self, "Delete calibration photos", question):
            return
        self._delete(lambda: self.store.delete_photos(paths))

    def delete_all(self) -> None:
        """Delete every calibration photo and check photo, once the user has confirmed it (No or
        Escape keeps them)."""
        total, checks = self.store.total(), self._check_photos()
        if total + checks == 0 or not self._idle():
            return
        photos, folders = [], []
        if total:
            photos.append(
                "your calibration photo" if total == 1 else f"all {total} of your calibration photos"
            )
            folders.append(str(self.store.root))
        if checks:
            photos.append(f"the {count(checks, 'check photo')} of the guided calibration")
            folders.append(str(self.check_store.root))
        question = f"Delete {' and '.join(photos)}?\n" + "\n".join(folders) + "\n\nThey cannot be recovered."
        if not ask_yes_no(self, "Delete my calibration photos", question):
            return
        self._delete(lambda: (self.store.delete_all(), self.check_store.delete_all()))

    def _check_photos(self) -> int:
        """The guided runs' check photos, those of earlier runs set aside included."""
        return self.check_store.total() + self.check_store.set_aside_total()

    def _delete(self, delete: Callable[[], object]) -> None:
        """Run ``delete`` and say how many photos went (counted on disk); a failure is said in words."""
        before = self.store.total() + self._check_photos()
        try:
            delete()
        except (OSError, ValueError) as exc:
            self.message.emit(f"Calibration photos not deleted: {exc}")
        self.refresh()
        deleted = before - self.store.total() - self._check_photos()
        if deleted:
            self.message.emit(f"{deleted} calibration photo{'' if deleted == 1 else 's'} deleted.")

    # -- fine-tune ---------------------------------------------------------------------
    def _running(self) -> bool:
        return self.runs.is_running()

    def fine_tune(self) -> None:
        if not self._idle() or self.store.total() == 0:
            return
        self.enabled_box.setChecked(False)
        out = catalogue.personal_model_dir() / "model.keras"  # "my face, 4 Dec"
        base = Path(self.engine.model_path)
        worker = PersonalizeWorker(
            self.store.root,
            out,
            base,
            self.settings,
            check_folder=self.check_store.root if self._check_pending else None,
            name=out.parent.name,
        )
        self.tune_button.setEnabled(False)
        self.guided_button.setEnabled(False)
        self.delete_button.setEnabled(False)  # the fine-tune reads the photos
        self.delete_all_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.use_button.setEnabled(False)
        self.result_label.setText("Fine-tuning…")
        self.progress.reset()
        self.progress.show()
        self.runs.start(
            worker,
            {
                worker.progress: self._on_step,
                worker.returned: self._on_done,
                worker.errored: self._on_failed,
                worker.finished: self._on_thread_done,
            },
        )

    def stop(self) -> None:
        self.runs.request_stop()

    def _on_step(self, step: tuple[int, int]) -> None:
        done, total = step
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_done(self, card: dict) -> None:
        self.last_model, self._check_pending = Path(card["path"]), False  # the check photos had their use
        held, check = card.get("held_out"), card.get("check")
        if check:
            text = (
                f"“{card.get('name')}”: right on {check['n']} check photos never trained on, "
                f"base model → new model: {check_text(check)}"
            )
        elif held:
            text = (
                f"On {held['n']} captured photos kept out of the fine-tune: "
                f"{held['accuracy_before']:.0%} before, {held['accuracy_after']:.0%} after."
            )
        else:
            text = "Done. (12 photos or more, 4 of an emotion, give a before/after figure.)"
        self.result_label.setText(text)
        self.use_button.setEnabled(True)
        self.finished.emit(card)

    def _on_failed(self, text: str) -> None:
        self.result_label.setText(f"⚠ {text}")
        self.message.emit(text)

    def _on_thread_done(self) -> None:
        self.stop_button.setEnabled(False)
        self.progress.hide()
        self._show_counts()

    def use_model(self) -> None:
        if self.last_model is not None:
            self.use_requested.emit(str(self.last_model))

    def shutdown(self) -> None:
        """Closing the window: the fine-tune stops after its current step; nothing waits for it here."""
        self.guided_view.stop()
        self.runs.discard()
