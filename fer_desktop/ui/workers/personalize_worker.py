"""Fine-tunes the active model on the captured calibration crops, on a worker thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fer_desktop.models.classifier import ModelLoadError
from fer_desktop.personal.fine_tune import PersonalizeError, personalize_folder
from fer_desktop.ui.workers.base import Worker


class PersonalizeWorker(Worker):
    """Runs ``personalize_folder`` on the crops under ``folder`` (faces already found: no detection).

    ``progress``: ``(done, total)`` fine-tune steps; ``returned``: the new model's card, with
    the per-emotion before/after on the crops under ``check_folder`` (never trained on), if any.
    """

    expected_errors = (PersonalizeError, ModelLoadError, FloatingPointError, OSError)
    doing = "Fine-tuning"

    def __init__(self, folder: Path, out: Path, base: Path, settings=None, check_folder=None, name=None):
        super().__init__()
        self.folder, self.out, self.base, self.settings = folder, out, base, settings
        self.check_folder, self.name = check_folder, name

    def work(self) -> dict[str, Any]:
        from fer_desktop.runtime_imports import import_tensorflow

        import_tensorflow()  # under the import lock: the Live worker may be loading MediaPipe
        return personalize_folder(
            self.folder, self.out, self.base, detect=False, settings=self.settings,
            check_folder=self.check_folder, name=self.name,
            on_step=lambda i, n, _loss: self.progress.emit((i, n)), should_stop=self._stop.is_set,
        )  # fmt: skip
