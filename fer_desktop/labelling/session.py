"""The Label tab's session without Qt: the rows of the run, corrections and confirmations, photos
taken whole, the grid's filter, export.

The tab renders this state and forwards what the user does; the rules live here, so they are
tested without a window. A session holds one folder's run at a time: its rows (as they are
now, corrections included), its summary, the folder's :class:`CorrectionStore`, and whether
a run or a whole-image classification is under way (while one is, the rows are not changed
by hand).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.labelling.corrections import CorrectionStore
from fer_desktop.labelling.export import checked_rows, export_crops, write_csv, write_json
from fer_desktop.labelling.reuse import model_id, model_key
from fer_desktop.labelling.rows import (
    FACE_WHOLE_IMAGE,
    STATUS_NO_FACE,
    STATUS_OK,
    LabelRow,
    LabelSummary,
    count_rows,
    unreadable_note,
)
from fer_desktop.write_errors import describe_write_error
from training.contract.label_origin import leftover_note
from training.contract.labels import CLASS_NAMES
from training.contract.model_file import ModelIdentity
from training.contract.photos import read_photo
from training.contract.wording import count

UNREADABLE = "unreadable"  # the filter's entry for the files that could not be read
FILTERS = [
    None,
    *CLASS_NAMES,
    STATUS_NO_FACE,
    UNREADABLE,
]  # the emotion filter's entries: all faces, each emotion, no face, unreadable files
EXPORT_KINDS = ("csv", "json", "crops")
BOX_COLOUR = (40, 220, 40)  # BGR: the shown face's box on its photo

Replacement = tuple[LabelRow, LabelRow]  # (the row that was, the row in its place)


def filter_texts(rows: list[LabelRow]) -> list[str]:
    """The emotion filter's entries with their counts, in ``FILTERS`` order."""
    counts = count_rows(rows, LabelSummary())
    return [
        f"all faces ({counts.faces})",
        *(f"{name} ({counts.emotions.get(name, 0)})" for name in CLASS_NAMES),
        f"no face ({counts.no_face})",
        f"unreadable ({sum(1 for r in rows if r.unreadable_reason is not None)})",
    ]


def shows(row: LabelRow, shown: str | None, min_confidence: float) -> bool:
    """Whether the grid shows ``row`` under the filter entry ``shown`` (one of ``FILTERS``).

    Faces of one emotion (or all) at or above the model's confidence in its own answer; the
    photos without a face; or the files that could not be read, each with its reason.
    """
    if shown == UNREADABLE:
        return row.unreadable_reason is not None
    if shown == STATUS_NO_FACE or row.status != STATUS_OK:
        return shown == STATUS_NO_FACE and row.status == STATUS_NO_FACE
    if shown and row.emotion != shown:
        return False
    return (row.model_confidence or 0.0) >= min_confidence


def replace_rows(rows: list[LabelRow], replacements: Iterable[Replacement]) -> list[LabelRow]:
    """``rows`` with each old row swapped for its new one, in one pass.

    By identity: ``==`` on rows compares their arrays.
    """
    new_of = {id(old): new for old, new in replacements}
    return [new_of.get(id(r), r) for r in rows]


def detail_title(row: LabelRow) -> str:
    """The title over a selected face's probabilities (or over a photo without a face)."""
    if row.status == STATUS_OK:
        return f"{row.path}, face {row.face}: {row.caption()}"
    if row.unreadable_reason is not None:
        return f"{row.path}: could not be read ({row.unreadable_reason})"
    return f"{row.path}: no face found (use the whole image as the face?)"


class LabelSession:
    """One folder's labelling: what the Label tab shows, and the rules for changing it."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.labelled_with: Path | None = None  # the model of the current folder's run
        self.model: ModelIdentity | None = None  # its name and hash, once the run has ended
        self.labelling = False  # a run's rows are still to come
        self.whole_pending = False  # photos being classified whole
        self.rows: list[LabelRow] = []
        self.summary: LabelSummary | None = None
        self.corrections: CorrectionStore | None = None

    @property
    def busy(self) -> bool:
        """A run or a whole-image classification is under way: rows are not changed by hand now."""
        return self.labelling or self.whole_pending

    # -- a run -------------------------------------------------------------------------
    def start(self, folder: str | Path, model_path: Path) -> str:
        """A new run over ``folder`` with ``model_path``; returns the corrections' load note ("" if none).

        The same folder keeps its store: corrections not saved yet stay in it.
        """
        self.folder = Path(folder)
        self.rows = []
        self.summary = None
        note = ""
        if self.corrections is None or self.corrections.folder != self.folder.resolve():
            self.corrections = CorrectionStore(self.folder)
            note = self.corrections.load_note
        self.labelled_with = model_path
        self.model = None
        self.labelling = True
        return note

    def whole_image(self) -> frozenset[str]:
        """The photos a person chose to take whole where no face is found (for the run's labeller)."""
        return frozenset(self.corrections.whole_image) if self.corrections is not None else frozenset()

    def stop(self) -> None:
        """The runs were dropped: nothing is under way any more."""
        self.labelling = self.whole_pending = False

    def arrived(self, rows: list[LabelRow]) -> None:
        """Rows of one photo while the run goes on: saved corrections back on them before they show."""
        if self.corrections is not None:
            self.corrections.attach(rows)

    def finish(self, rows: list[LabelRow], summary: LabelSummary) -> None:
        """The run ended (completed or cancelled) with these rows."""
        self.arrived(rows)
        self.rows = rows
        self.summary = summary
        self.labelling = False
        if summary.model_sha256:
            self.model = ModelIdentity(self.labelled_with or Path(summary.model_file), summary.model_sha256)

    def model_text(self) -> str:
        """Which model labelled the grid: ``Labelled with fer_default (sha 1a2b3c4d)``."""
        if self.model is not None:
            return f"Labelled with {self.model.describe()}"
        if self.labelled_with is None:
            return ""
        return f"{'Labelling' if self.labelling else 'Labelled'} with {self.labelled_with.stem}"

    def unreadable_note(self) -> str | None:
        """``none of the 12 files could be read: …`` when most of the run's files could not be read."""
        note = unreadable_note(self.rows)
        return None if note is None else note[0].upper() + note[1:] + " (the unreadable filter lists each)"

    def fail(self) -> None:
        self.labelling = False

    def can_relabel(self, model_path: Path) -> bool:
        """The folder was labelled with another model than ``model_path``, and no run is under way."""
        stale = self.labelled_with is not None and self.labelled_with != model_path
        return self.folder is not None and stale and not self.labelling

    def summary_text(self) -> str | None:
        """The run's figures on one line, recounted from the rows as they are now (corrections included)."""
        if self.summary is None:
            return None
        count_rows(self.rows, self.summary)
        prefix = "Cancelled: " if self.summary.cancelled else ""
        return prefix + self.summary.text().replace("\n", "; ")

    def photo_of(self, row: LabelRow) -> np.ndarray:
        """The photo of ``row``, its face's box drawn on it.

        Raises PhotoError for a photo that cannot be read, ValueError before any folder.
        """
        if self.folder is None:
            raise ValueError("no folder is labelled")
        image = read_photo(self.folder / row.path)
        b = row.box
        if b is not None:
            thickness = max(2, image.shape[1] // 300)
            cv2.rectangle(image, (b.x, b.y), (b.x + b.w, b.y + b.h), BOX_COLOUR, thickness)
        return image

    # -- corrections -------------------------------------------------------------------
    def set_label(self, rows: list[LabelRow], emotion: str) -> list[LabelRow]:
        """Correct these faces (saved at once, one undo step); returns the rows that changed."""
        return self.corrections.set_label(rows, emotion) if self.corrections is not None else []

    def confirm(self, rows: list[LabelRow]) -> list[LabelRow]:
        """A person says these faces' labels are right (saved at once, one undo step); returns the rows
        that changed."""
        return self.corrections.confirm(rows) if self.corrections is not None else []

    def undo(self) -> list[LabelRow]:
        """Take back the latest correction or confirmation (saved at once); returns the rows that changed."""
        return self.corrections.undo() if self.corrections is not None else []

    @property
    def save_error(self) -> str | None:
        """Why the latest save of the corrections failed, or None."""
        return self.corrections.last_error if self.corrections is not None else None

    def unexported_warning(self) -> str | None:
        """What leaving this folder now would leave behind, or None."""
        return self.corrections.unexported_warning() if self.corrections is not None else None

    # -- photos without a face -----------------------------------------------------------
    def chosen_whole(self, rows: list[LabelRow]) -> list[LabelRow]:
        """The faces among ``rows`` that are whole photos because a person chose so."""
        chosen = self.corrections.whole_image if self.corrections is not None else set()
        return [
            r
            for r in rows
            if r.status == STATUS_OK and r.face_source == FACE_WHOLE_IMAGE and r.path in chosen
        ]

    def can_take_whole(self, selected: list[LabelRow]) -> bool:
        return any(r.status == STATUS_NO_FACE for r in selected) and not self.busy

    def can_stop_whole(self, selected: list[LabelRow]) -> bool:
        return bool(self.chosen_whole(selected)) and not self.busy

    def begin_whole_image(self, selected: list[LabelRow]) -> list[str]:
        """The photos without a face among ``selected`` to classify whole (remembered for this folder);
        [] when there is nothing to do now."""
        paths = sorted({r.path for r in selected if r.status == STATUS_NO_FACE})
        if not paths or self.folder is None or self.corrections is None or self.busy:
            return []
        self.corrections.use_whole_image(paths)
        self.whole_pending = True
        return paths

    def whole_failed(self) -> None:
        self.whole_pending = False

    def take_whole(self, results: dict[str, list[LabelRow]]) -> list[Replacement]:
        """Put each photo's whole-image face where its "no face" row was; returns the replacements.

        A photo unreadable since, or no longer listed, stays as it was.
        """
        self.whole_pending = False
        no_face: dict[str, LabelRow] = {}
        for r in self.rows:
            if r.status == STATUS_NO_FACE:
                no_face.setdefault(r.path, r)
        replaced = []
        for rel, new_rows in results.items():
            old = no_face.get(rel)
            if old is None or len(new_rows) != 1 or new_rows[0].status != STATUS_OK:
                continue
            self.arrived(new_rows)
            replaced.append((old, new_rows[0]))
        self.rows = replace_rows(self.rows, replaced)
        return replaced

    def stop_whole_image(self, selected: list[LabelRow]) -> list[Replacement]:
        """Back to "no face" for the selected whole-photo faces; a correction of one stays saved
        (it comes back if the whole image is chosen again). Returns the replacements."""
        faces = self.chosen_whole(selected)
        if not faces or self.corrections is None or self.busy:
            return []
        self.corrections.stop_whole_image([r.path for r in faces])
        replaced = [(face, LabelRow(face.path, STATUS_NO_FACE, crop=face.crop)) for face in faces]
        self.rows = replace_rows(self.rows, replaced)
        return replaced

    # -- export ------------------------------------------------------------------------
    def export(self, kind: str, dest: str | Path, model_path: Path, checked_only: bool = False) -> str:
        """Write the (corrected) rows as ``kind`` (csv, json, crops) to ``dest``; returns what to tell
        the user. Crops form a class-folder dataset for training; a failed write changes nothing.

        ``checked_only``: only the faces a person confirmed or corrected, so that a model is not
        trained or scored on its own answers.
        """
        if kind not in EXPORT_KINDS:
            raise ValueError(f"unknown export {kind!r}")
        rows = checked_rows(self.rows) if checked_only else self.rows
        if checked_only and not rows:
            return "Nothing exported: no face is checked yet (confirm with Enter, or correct with 1–7)"
        try:
            said = self._write(kind, dest, model_path, rows, checked_only)
        except OSError as exc:
            kept = "no earlier crop was removed" if kind == "crops" else "an earlier file there is unchanged"
            return f"Export failed: {describe_write_error(exc, dest)} ({kept})"
        if self.corrections is not None:
            self.corrections.mark_exported(rows)
        return said

    def _write(
        self, kind: str, dest: str | Path, model_path: Path, rows: list[LabelRow], checked_only: bool
    ) -> str:
        if kind == "crops":
            said = f"{count(export_crops(rows, dest), 'crop')} exported to {dest}"
            note = leftover_note(dest) if checked_only else None
            if note:
                said += f"; {note}"
            return said
        if kind == "csv":
            write_csv(rows, dest)
        else:
            summary = count_rows(rows, dataclasses.replace(self.summary or LabelSummary()))
            key = model_key(self.model) if self.model is not None else model_id(model_path)
            write_json(rows, dest, self.folder, key, summary, self.model)
        return f"Exported {dest}"
