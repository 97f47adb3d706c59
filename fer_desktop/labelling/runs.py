"""A labelling run over a folder: every photo labelled (or reused), outputs written if it completes.

The photos are only ever read; results are written atomically at the end, so an
interrupted run leaves either the previous output or none, never a complete-looking
half file.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fer_desktop.labelling.export import export_crops, write_csv, write_json
from fer_desktop.labelling.labeller import PhotoLabeller
from fer_desktop.labelling.reuse import load_previous, lock_path, output_lock, state_path
from fer_desktop.labelling.rows import LabelRow, LabelSummary, count_rows
from fer_desktop.labelling.walk import Shard, file_key, list_files
from training.contract import atomic
from training.contract.model_file import ModelIdentity


def label_folder(
    root: str | Path,
    labeller: PhotoLabeller,
    *,
    model_key: str,
    out_csv: str | Path | None = None,
    json_out: str | Path | None = None,
    crops_to: str | Path | None = None,
    on_progress: Callable[[int, int, list[LabelRow]], None] | None = None,
    should_cancel: Callable[[], bool] = lambda: False,
    log: Callable[[str], None] = lambda _msg: None,
    shard: Shard | None = None,
    model: ModelIdentity | None = None,
    checked_only: bool = False,
) -> tuple[list[LabelRow], LabelSummary]:
    """Label every photo under ``root`` (or ``shard``'s part of them); write outputs only if the
    run completes.  ``labeller`` is a PhotoLabeller or anything with its ``detects``, ``margin``
    and ``label_files`` (``parallel.ProcessLabeller``).  ``model``: the labelling model's name and
    hash, recorded in the summary, the JSON and the state file.  ``checked_only``: the crops are
    only the faces a person checked in the Label tab (see ``checked.checked_crops``).

    Raises OutputBusyError when another run holds ``out_csv``.
    """
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"not a folder: {root}")
    out_csv = Path(out_csv) if out_csv else None
    run = _Run(model_key, model, checked_only)
    with output_lock(out_csv):
        return _label_folder(root, labeller, run, out_csv, json_out, crops_to, on_progress,
                             should_cancel, log, shard)  # fmt: skip


@dataclass(frozen=True)
class _Run:
    """What a run says about its model, and how its crops are chosen."""

    model_key: str
    model: ModelIdentity | None
    checked_only: bool


def _label_folder(
    root: Path,
    labeller: PhotoLabeller,
    run: _Run,
    out_csv: Path | None,
    json_out: str | Path | None,
    crops_to: str | Path | None,
    on_progress: Callable[[int, int, list[LabelRow]], None] | None,
    should_cancel: Callable[[], bool],
    log: Callable[[str], None],
    shard: Shard | None,
) -> tuple[list[LabelRow], LabelSummary]:
    started = time.monotonic()
    outputs = [p for p in (out_csv, json_out, crops_to) if p]
    if out_csv:
        outputs += [state_path(out_csv), lock_path(out_csv)]
    files = list_files(root, [Path(p) for p in outputs])
    if shard is not None:
        files = shard.select(files)
    expected = {
        "model": run.model_key,
        "options": {"detect": labeller.detects, "margin": labeller.margin,
                    "crops_to": str(Path(crops_to).resolve()) if crops_to else None},
        "root": str(root.resolve()),
    }  # fmt: skip
    if run.checked_only:  # only then: a state file from before the option stays reusable
        expected["options"]["checked_only"] = True
    sha = run.model.sha256 if run.model else None
    previous, note = load_previous(out_csv, expected, sha) if out_csv else (None, "")
    if note:
        log(note)
    summary = LabelSummary(note=note)
    if run.model is not None:
        summary.model_file, summary.model_sha256 = run.model.file, run.model.sha256
    rows: list[LabelRow] = []
    keys: dict[str, list[int]] = {}
    todo: list[Path] = []
    by_path: dict[str, list[LabelRow]] = {}
    for f in files:
        rel = f.relative_to(root).as_posix()
        keys[rel] = file_key(f)
        if previous and previous.files.get(rel) == keys[rel] and rel in previous.rows:
            by_path[rel] = previous.rows[rel]
        else:
            todo.append(f)
    summary.reused = len(by_path)
    done = len(by_path)
    if on_progress:
        on_progress(done, len(files), [r for rs in by_path.values() for r in rs])
    with contextlib.closing(labeller.label_files(root, todo)) as labelled:
        for _ in todo:
            if should_cancel():  # before each photo is labelled (``next`` labels it)
                summary.cancelled = True
                break
            f, new = next(labelled)
            by_path[f.relative_to(root).as_posix()] = new
            done += 1
            if on_progress:
                on_progress(done, len(files), new)
    for f in files:
        rows.extend(by_path.get(f.relative_to(root).as_posix(), []))
    summary.photos = len(by_path)
    count_rows(rows, summary)
    summary.seconds = time.monotonic() - started
    if summary.cancelled:
        return rows, summary
    if crops_to:
        summary.crops = export_crops(_crop_rows(root, rows, labeller, run.checked_only), crops_to)
    if json_out:
        write_json(rows, json_out, root, run.model_key, summary, run.model)
    if out_csv:
        write_csv(rows, out_csv)
        done_keys = {r: k for r, k in keys.items() if r in by_path}
        model = run.model.record() if run.model else {}
        atomic.write_json(state_path(out_csv), {**expected, **model, "files": done_keys})
    return rows, summary


def _crop_rows(
    root: Path, rows: list[LabelRow], labeller: PhotoLabeller, checked_only: bool
) -> list[LabelRow]:
    """The rows whose crops are written: all, or only the faces a person checked in the Label tab."""
    if not checked_only:
        return rows
    from fer_desktop.labelling.checked import checked_crops

    return checked_crops(root, rows, labeller.margin)
