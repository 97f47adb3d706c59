"""The Label tab's jobs on a worker thread: a folder run, and photos taken whole as the face.

Both are :class:`~fer_desktop.ui.workers.base.Worker` jobs: a folder run reports each
photo's rows as ``progress`` and returns ``(rows, summary)``; the whole-image job returns
``{relative path: rows}``. Their failure messages name the job and the error's own text.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from fer_desktop.labelling.rows import LabelRow, LabelSummary
from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.workers.base import Worker


class LabelStartError(RuntimeError):
    """The face detector could not start; the message says so in full."""


class LabelProgress(NamedTuple):
    """One step of a folder run: photos done of ``total``, and the rows that just came in."""

    done: int
    total: int
    rows: list[LabelRow]  # one photo's rows, or (first) those reused from the previous run


class LabelWorker(Worker):
    """Labels a folder; ``progress`` carries :class:`LabelProgress`, ``returned`` ``(rows, summary)``."""

    expected_errors = (LabelStartError,)

    def __init__(self, engine: AnalyzerEngine, folder: str | Path, whole_image: frozenset[str] = frozenset()):
        super().__init__()
        self.engine = engine
        self.folder = Path(folder)
        self.whole_image = whole_image  # photos a person chose to take whole where no face is found

    cancel = Worker.request_stop

    def describe_failure(self, exc: BaseException) -> str:
        return f"Labelling {self.folder} failed: {exc}"

    def work(self) -> tuple[list[LabelRow], LabelSummary]:
        from fer_desktop.labelling.labeller import PhotoLabeller
        from fer_desktop.labelling.reuse import model_key
        from fer_desktop.labelling.runs import label_folder
        from fer_desktop.pipeline.faces import FaceDetector
        from training.contract.model_file import model_identity

        try:
            # Its own detector: MediaPipe graphs are not shared between threads.
            detector = FaceDetector()
        except Exception as exc:
            raise LabelStartError(f"Cannot start labelling: {exc}") from exc
        try:
            # Leased: a model swap meanwhile leaves this run's classifier open until it ends.
            with self.engine.lease_classifier() as classifier:

                def on_progress(done: int, total: int, rows: list[LabelRow]) -> None:
                    self.progress.emit(LabelProgress(done, total, rows))

                model = model_identity(classifier.path)  # the leased model, even if swapped meanwhile
                return label_folder(
                    self.folder, PhotoLabeller(classifier, detector, whole_image=self.whole_image),
                    model_key=model_key(model), model=model,
                    on_progress=on_progress, should_cancel=lambda: self.stop_requested,
                )  # fmt: skip
        finally:
            detector.close()


class WholeImageWorker(Worker):
    """Classifies photos taken whole as one face (a person's choice where no face was found)."""

    doing = "Classifying the whole image"

    def __init__(self, engine: AnalyzerEngine, folder: Path, paths: list[str]):
        super().__init__()
        self.engine = engine
        self.folder = folder
        self.paths = paths

    def describe_failure(self, exc: BaseException) -> str:
        return f"{self.doing} failed: {exc}"

    def work(self) -> dict[str, list[LabelRow]]:
        from fer_desktop.labelling.labeller import label_whole_images

        with self.engine.lease_classifier() as classifier:
            return label_whole_images(self.folder, self.paths, classifier)
