"""Loads a model and swaps it into the engine off the GUI thread (loading takes seconds)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal

from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.workers.stoppable import StoppableWorker


class ModelLoadWorker(StoppableWorker):
    loaded = Signal(str)  # path of the model now active
    refused = Signal(str)  # user-facing reason; the current model stays active

    def __init__(self, engine: AnalyzerEngine, path: str | Path):
        super().__init__()
        self.engine = engine
        self.path = Path(path)
        self.ticket = engine.new_ticket()  # taken now, on the GUI thread: a later request overtakes it

    def run(self) -> None:
        from fer_desktop.models.classifier import ModelLoadError

        try:
            installed = self.engine.use_model(self.path, self.ticket)
        except ModelLoadError as exc:
            self.refused.emit(str(exc))
        except Exception as exc:
            self.refused.emit(f"Cannot load {self.path.name}: {type(exc).__name__}: {exc}")
        else:
            if installed:
                self.loaded.emit(str(self.path))
