"""Labels a folder on a worker thread; progress and rows go out through signals."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal

from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.workers.stoppable import StoppableWorker


class LabelWorker(StoppableWorker):
    progress = Signal(int, int)  # done, total
    rows_ready = Signal(object)  # list[LabelRow] of one photo (or reused ones)
    done = Signal(object, object)  # (all rows, LabelSummary)
    failed = Signal(str)

    def __init__(self, engine: AnalyzerEngine, folder: str | Path, whole_image: frozenset[str] = frozenset()):
        super().__init__()
        self.engine = engine
        self.folder = Path(folder)
        self.whole_image = whole_image  # photos a person chose to take whole where no face is found

    cancel = StoppableWorker.request_stop

    def run(self) -> None:
        from fer_desktop.labelling import PhotoLabeller, label_folder, model_id
        from fer_desktop.pipeline.faces import FaceDetector

        try:
            # Its own detector: MediaPipe graphs are not shared between threads.
            detector = FaceDetector()
        except Exception as exc:
            self.failed.emit(f"Cannot start labelling: {exc}")
            return
        try:
            # Leased: a model swap meanwhile leaves this run's classifier open until it ends.
            with self.engine.lease_classifier() as classifier:

                def on_progress(done: int, total: int, rows) -> None:
                    self.rows_ready.emit(rows)
                    self.progress.emit(done, total)

                rows, summary = label_folder(
                    self.folder, PhotoLabeller(classifier, detector, whole_image=self.whole_image),
                    model_key=model_id(classifier.path),  # the leased model, even if swapped meanwhile
                    on_progress=on_progress, should_cancel=self._stop.is_set,
                )  # fmt: skip
            self.done.emit(rows, summary)
        except Exception as exc:
            self.failed.emit(f"Labelling {self.folder} failed: {exc}")
        finally:
            detector.close()


class WholeImageWorker(StoppableWorker):
    """Classifies photos taken whole as one face (a person's choice where no face was found)."""

    done = Signal(object)  # {relative path: [LabelRow]}
    failed = Signal(str)

    def __init__(self, engine: AnalyzerEngine, folder: Path, paths: list[str]):
        super().__init__()
        self.engine = engine
        self.folder = folder
        self.paths = paths

    def run(self) -> None:
        from fer_desktop.labelling import label_whole_images

        try:
            with self.engine.lease_classifier() as classifier:
                self.done.emit(label_whole_images(self.folder, self.paths, classifier))
        except Exception as exc:
            self.failed.emit(f"Classifying the whole image failed: {exc}")
