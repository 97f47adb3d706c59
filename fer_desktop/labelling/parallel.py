"""``label --jobs N``: photos labelled by N processes, each with its own detector and classifier.

Processes, not threads: MediaPipe's detector and the TFLite classifier serialise their calls, so
threads would wait on each other.  They are *spawned* (never forked): TensorFlow and MediaPipe
keep threads and native state that a forked child would inherit half-copied.  Results come back
in the sorted file order, so the outputs are those of ``--jobs 1`` byte for byte.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import util as mp_util
from pathlib import Path

from fer_desktop.labelling.decoding import in_order
from fer_desktop.labelling.labeller import PhotoLabeller, open_labeller
from fer_desktop.labelling.rows import LabelRow

# One TensorFlow thread per process: the processes are the parallelism (only used for a model
# without a TFLite copy).
WORKER_TF_THREADS = 1


class LabellerStartError(RuntimeError):
    """A labelling process could not open the model or the face detector; the message says why."""


@dataclass(frozen=True)
class LabellerSpec:
    """What each process needs to build the same labeller as ``--jobs 1`` (picklable)."""

    model_path: str
    detect: bool
    margin: float


_labeller: PhotoLabeller | None = None  # this worker process's own
_start_error: str = ""


def _start_worker(spec: LabellerSpec) -> None:
    global _labeller, _start_error
    # Ctrl-C reaches the whole process group: the parent alone answers it and ends the pool
    # (each process then finishes its photo); a worker interrupted mid-import prints a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _labeller = open_labeller(spec.model_path, spec.detect, spec.margin, WORKER_TF_THREADS)
    except RuntimeError as exc:  # ModelLoadError and MediaPipe's start-up errors
        _start_error = str(exc)
        return
    # Pool workers leave through os._exit, past atexit: close MediaPipe's graphs here.
    mp_util.Finalize(None, _labeller.close, exitpriority=10)


def _label_one(root: str, rel: str) -> list[LabelRow]:
    if _labeller is None:
        raise LabellerStartError(_start_error or "the labelling process did not start")
    return _labeller.label_path(Path(root), rel)


class ProcessLabeller:
    """The ``label_folder`` side of ``--jobs N``: same ``detects``, ``margin`` and ``label_files``
    as a PhotoLabeller.  Close it (or use ``with``) to end the processes."""

    def __init__(self, spec: LabellerSpec, jobs: int):
        if jobs < 2:
            raise ValueError("ProcessLabeller is for two or more processes")
        self.detects = spec.detect
        self.margin = spec.margin
        self.jobs = jobs
        self._pool = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(spec,),
        )

    def label_files(self, root: Path, files: list[Path]) -> Iterator[tuple[Path, list[LabelRow]]]:
        """Each file's rows in the files' order; a few photos per process are in flight."""

        def submit(f: Path):
            return self._pool.submit(_label_one, str(root), f.relative_to(root).as_posix())

        yield from in_order(submit, files, ahead=4 * self.jobs)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ProcessLabeller:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
