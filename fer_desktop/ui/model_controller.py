"""The one owner of the active model: every tab and the calibration panel switch through it.

It loads a model on a :class:`~fer_desktop.ui.workers.model_loader.ModelLoadWorker`
(seconds, off the GUI thread), lets the engine swap it in between two frames,
remembers the choice for the next start, and tells the views what happened. The
views only listen: the Live tab's model label, the Label tab's "relabel" button,
the Train tab's model list and status line.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from fer_desktop.models import catalogue
from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.workers.model_loader import ModelLoadWorker
from fer_desktop.ui.workers.runs import WorkerSlot


class ModelController(QObject):
    loading = Signal(str)  # path of a model being loaded to replace the active one
    model_changed = Signal(str)  # path of the model now active in Live and Label
    model_refused = Signal(str)  # why; the current model stays active
    status = Signal(str)  # a line on the switch for the Train tab's status ("Loading…", "Now using…")
    message = Signal(str)  # for the window's status bar

    def __init__(self, engine: AnalyzerEngine, parent: QObject | None = None):
        super().__init__(parent)
        self.engine = engine
        self.runs = WorkerSlot()

    @property
    def active_path(self) -> Path:
        """The model the engine runs now (the last one that loaded, not one still loading)."""
        return self.engine.model_path

    def use_model(self, path: str | Path) -> None:
        """Switch Live and Label to ``path``: loaded on a worker thread, swapped in between two frames.

        ``model_changed`` follows, or ``model_refused`` (the current model stays active).
        A newer request overtakes one still loading.
        """
        self.status.emit(f"Loading model {path}…")
        worker = ModelLoadWorker(self.engine, path)
        self.runs.start(worker, {worker.returned: self._on_loaded, worker.errored: self._on_refused})
        self.loading.emit(str(path))

    def _on_loaded(self, path: str) -> None:
        try:
            catalogue.set_active_model(path)
            remembered = ""
        except OSError as exc:
            remembered = f" (for this session only: the choice could not be saved, {exc.strerror or exc})"
        self.status.emit(f"Now using {path}{remembered}")
        self.model_changed.emit(path)

    def _on_refused(self, text: str) -> None:
        self.status.emit(f"⚠ Model refused: {text}. The current model stays active.")
        self.message.emit(text)
        self.model_refused.emit(text)

    def shutdown(self) -> None:
        """Closing: a load still running is dropped (never waited for here)."""
        self.runs.discard()
