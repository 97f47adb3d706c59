"""What an earlier run over the same folder left: results that may be reused, and the output's lock.

A second run with the same model and options reuses the rows of photos that have not changed;
the state file beside the CSV says which model (by the content of its file: ``model``, the
first 16 hex digits of its SHA-256, and since it was added ``model_file`` and ``model_sha256``),
options and file versions made them. A model of another content is another model, whatever
its file is called.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fer_desktop.labelling.rows import FACE_DETECTED, FACE_WHOLE_IMAGE, STATUS_OK, LabelRow
from training.contract.model_file import ModelIdentity, model_identity


def model_id(model_path: Path) -> str:
    """The short key of a model's content that reuse compares (the state file's ``model``)."""
    return model_key(model_identity(model_path))


def model_key(identity: ModelIdentity) -> str:
    return identity.sha256[:16]


def state_path(out_csv: Path) -> Path:
    return out_csv.with_name(f".{out_csv.name}.fer-state.json")


def lock_path(out_csv: Path) -> Path:
    return out_csv.with_name(f".{out_csv.name}.lock")


class OutputBusyError(RuntimeError):
    """Another labelling run is writing the same ``--out``."""


@contextlib.contextmanager
def output_lock(out_csv: Path | None) -> Iterator[None]:
    """Hold ``out_csv``'s lock for a whole run: two runs on one output would mix their results.

    A second run is refused at once rather than queued: it may have been started by mistake,
    and the first one may take long.
    """
    if out_csv is None:
        yield
        return
    from filelock import FileLock, Timeout

    out_csv.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path(out_csv))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise OutputBusyError(
            f"another labelling run is writing {out_csv}: wait for it to finish or choose another --out"
        ) from None
    try:
        yield
    finally:
        lock.release()


@dataclass
class PreviousRun:
    rows: dict[str, list[LabelRow]]
    files: dict[str, list[int]]


def load_previous(
    out_csv: Path, expected: dict, model_sha256: str | None = None
) -> tuple[PreviousRun | None, str]:
    """Earlier results that may be reused, or None and the reason they may not.

    ``model_sha256``: the whole hash of this run's model, checked too where the state file has one.
    """
    state_file = state_path(out_csv)
    if not out_csv.exists() or not state_file.exists():
        return None, ""
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
        with out_csv.open(newline="", encoding="utf-8") as fh:
            rows: dict[str, list[LabelRow]] = {}
            for row in csv.DictReader(fh):
                rows.setdefault(row["path"], []).append(LabelRow.from_csv(row))
        source = FACE_DETECTED if expected["options"]["detect"] else FACE_WHOLE_IMAGE
        for label in (r for rs in rows.values() for r in rs if r.status == STATUS_OK and not r.face_source):
            label.face_source = source  # an earlier version's CSV: the run's options say it
    except (OSError, ValueError, KeyError) as exc:
        return None, f"not reusing {out_csv.name}: it cannot be read back ({exc})"
    for key, what in (("model", "another model"), ("options", "other options"), ("root", "another folder")):
        if state.get(key) != expected[key]:
            return None, f"not reusing {out_csv.name}: it was made with {what}"
    if model_sha256 and state.get("model_sha256") not in (None, model_sha256):
        return None, f"not reusing {out_csv.name}: it was made with another model"
    return PreviousRun(rows, state.get("files", {})), ""
