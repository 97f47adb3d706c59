"""Loads a model and swaps it into the engine off the GUI thread (loading takes seconds)."""

from __future__ import annotations

from pathlib import Path

from fer_desktop.models.classifier import ModelLoadError
from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.workers.base import Worker


class ModelLoadWorker(Worker):
    """``returned``: the path of the model now active; ``errored``: why it was refused.

    A load overtaken by a newer request returns nothing: the newer one reports.
    """

    expected_errors = (ModelLoadError,)

    def __init__(self, engine: AnalyzerEngine, path: str | Path):
        super().__init__()
        self.engine = engine
        self.path = Path(path)
        self.ticket = engine.new_ticket()  # taken now, on the GUI thread: a later request overtakes it

    def work(self) -> str | None:
        installed = self.engine.use_model(self.path, self.ticket)
        return str(self.path) if installed else None

    def describe_failure(self, exc: BaseException) -> str:
        return f"Cannot load {self.path.name}: {type(exc).__name__}: {exc}"
