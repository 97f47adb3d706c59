"""Label corrections and confirmations of one photo folder, saved as they are made, with undo.

Human work must survive closing the window, choosing another folder, or a crash: every
correction is written at once (atomically) to a JSON file per labelled folder in the
per-user data folder, and put back on the faces when that folder is labelled again.
A face is known by its photo's path and its box, which the face detector reproduces for
an unchanged photo whatever the emotion model.  Photos a person chose to take whole as the
face (the detector found none) are kept here too, so labelling the folder again (with any
model) finds those faces, and their corrections, again.

A person may also *confirm* a face: the model's label is right. A confirmation is human work
as much as a correction (an export of checked faces takes both), saved the same way under
``confirmed`` (the file's ``labels`` are the corrections, as they always were).  Confirmed
with one model and labelled again by another that answers otherwise, the face keeps the
label the person confirmed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from fer_desktop.labelling.rows import STATUS_OK, LabelRow
from fer_desktop.paths import user_data_dir
from training.contract import atomic
from training.contract.labels import CLASS_NAMES

FORMAT_VERSION = 1
UNDO_DEPTH = 200


def corrections_dir() -> Path:
    return user_data_dir() / "corrections"


def store_file(folder: str | Path) -> Path:
    resolved = str(Path(folder).resolve())
    return corrections_dir() / f"{hashlib.sha256(resolved.encode('utf-8')).hexdigest()[:20]}.json"


def face_key(row: LabelRow) -> str:
    b = row.box
    return f"{row.path}|{b.x},{b.y},{b.w},{b.h}" if b is not None else row.path


CORRECT, CONFIRM = "correct", "confirm"  # what a change did


@dataclass
class Change:
    key: str
    before: str  # "" = the model's label (for a confirmation: "" = not confirmed)
    after: str
    kind: str = CORRECT


class CorrectionStore:
    """The human labels of one folder: ``set_label`` and ``undo`` save at once.

    ``last_error`` holds the reason the latest save failed (the labels stay in memory and
    count as unexported, so the user is still asked before they are left behind).
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder).resolve()
        self.file = store_file(folder)
        self.labels: dict[str, str] = {}
        self.exported: dict[str, str] = {}
        self.confirmed: dict[str, str] = {}  # face -> the model's label a person said is right
        self.exported_confirmed: dict[str, str] = {}
        self.rows: dict[str, LabelRow] = {}
        self.whole_image: set[str] = set()  # photo paths taken whole as the face
        self.undo_stack: list[list[Change]] = []
        self.last_error: str | None = None
        self.load_note = self._load()

    def _load(self) -> str:
        """Reads the saved labels; a damaged file is kept aside, never silently overwritten."""
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return ""
        except (OSError, ValueError) as exc:
            return self._set_aside(f"cannot read the saved corrections ({exc})")
        labels = data.get("labels") if isinstance(data, dict) else None
        if not isinstance(labels, dict):
            return self._set_aside("the saved corrections file is malformed")
        self.labels = {k: v for k, v in labels.items() if isinstance(k, str) and v in CLASS_NAMES}
        whole = data.get("whole_image")
        if isinstance(whole, list):
            self.whole_image = {p for p in whole if isinstance(p, str)}
        self.exported = _labels(data.get("exported"))
        self.confirmed = _labels(data.get("confirmed"))  # absent in a file from before confirmations
        self.exported_confirmed = _labels(data.get("exported_confirmed"))
        return _load_note(len(self.labels), len(self.confirmed))

    def _set_aside(self, reason: str) -> str:
        aside = self.file.with_suffix(".damaged.json")
        try:
            self.file.replace(aside)
        except OSError:
            return f"{reason}; it was left in place ({self.file})"
        return f"{reason}; it was kept as {aside}"

    def attach(self, rows: list[LabelRow]) -> list[LabelRow]:
        """Know these faces; put saved corrections back on them.  Returns the rows relabelled."""
        restored = []
        for row in rows:
            if row.status != STATUS_OK or row.box is None:
                continue
            key = face_key(row)
            self.rows[key] = row
            saved = self.labels.get(key) or self._confirmed_elsewhere(key, row)
            if saved and row.human_emotion != saved:
                row.set_human_label(saved)
                restored.append(row)
            elif not saved and key in self.confirmed and not row.confirmed:
                row.confirmed = True
                restored.append(row)
        return restored

    def _confirmed_elsewhere(self, key: str, row: LabelRow) -> str:
        """A label confirmed with a model that answered it, where this model answers otherwise."""
        confirmed = self.confirmed.get(key, "")
        return confirmed if confirmed and confirmed != row.model_emotion else ""

    def confirm(self, rows: list[LabelRow]) -> list[LabelRow]:
        """A person says these faces' labels are right (one undo step); returns the rows that changed.

        A corrected face is checked already and stays as it is.
        """
        changes, changed = [], []
        for row in rows:
            if row.status != STATUS_OK or row.box is None or row.checked:
                continue
            key = face_key(row)
            self.rows.setdefault(key, row)
            changes.append(Change(key, self.confirmed.get(key, ""), row.emotion, CONFIRM))
            row.confirmed = True
            self.confirmed[key] = row.emotion
            changed.append(row)
        if changes:
            self.undo_stack = [*self.undo_stack[-(UNDO_DEPTH - 1) :], changes]
            self.save()
        return changed

    def set_label(self, rows: list[LabelRow], emotion: str) -> list[LabelRow]:
        """Correct these faces to ``emotion`` (one undo step); returns the rows that changed."""
        if emotion not in CLASS_NAMES:
            raise ValueError(f"unknown emotion {emotion!r}")
        changes, changed = [], []
        for row in rows:
            if row.status != STATUS_OK or row.box is None or row.human_emotion == emotion:
                continue
            key = face_key(row)
            self.rows.setdefault(key, row)
            changes.append(Change(key, row.human_emotion, emotion))
            row.set_human_label(emotion)
            self.labels[key] = emotion
            changed.append(row)
        if changes:
            self.undo_stack = [*self.undo_stack[-(UNDO_DEPTH - 1) :], changes]
            self.save()
        return changed

    def undo(self) -> list[LabelRow]:
        """Take back the latest correction step; returns the rows that changed back."""
        if not self.undo_stack:
            return []
        changed = []
        for change in reversed(self.undo_stack.pop()):
            saved = self.confirmed if change.kind == CONFIRM else self.labels
            if change.before:
                saved[change.key] = change.before
            else:
                saved.pop(change.key, None)
            row = self.rows.get(change.key)
            if row is not None:
                self._show_saved(change.key, row)
                changed.append(row)
        self.save()
        return changed

    def _show_saved(self, key: str, row: LabelRow) -> None:
        """Put on ``row`` what is saved for its face now: a correction, a confirmation, or neither."""
        row.confirmed = key in self.confirmed and self.confirmed[key] == row.model_emotion
        saved = self.labels.get(key) or self._confirmed_elsewhere(key, row)
        if saved:
            row.set_human_label(saved)
        else:
            row.clear_human_label()

    def use_whole_image(self, paths: list[str]) -> None:
        """Remember that these photos (no face found) are to be taken whole as the face; saved at once."""
        if not set(paths) <= self.whole_image:
            self.whole_image |= set(paths)
            self.save()

    def stop_whole_image(self, paths: list[str]) -> None:
        """These photos are no longer taken whole (their corrections stay, for a change of mind)."""
        if self.whole_image & set(paths):
            self.whole_image -= set(paths)
            self.save()

    def mark_exported(self, rows: list[LabelRow]) -> None:
        """These faces were just exported with their current labels (a cancelled run exports fewer)."""
        for row in rows:
            if row.status != STATUS_OK or row.box is None:
                continue
            key = face_key(row)
            for saved, exported in ((self.labels, self.exported), (self.confirmed, self.exported_confirmed)):
                if key in saved:
                    exported[key] = saved[key]
                else:
                    exported.pop(key, None)
        self.save()

    def _unexported_keys(self, saved: dict[str, str], exported: dict[str, str]) -> set[str]:
        return {k for k in set(saved) | set(exported) if saved.get(k) != exported.get(k)}

    def unexported(self) -> int:
        """How many faces' corrections or confirmations differ from what was last exported."""
        return len(
            self._unexported_keys(self.labels, self.exported)
            | self._unexported_keys(self.confirmed, self.exported_confirmed)
        )

    def unexported_warning(self) -> str | None:
        """What leaving this folder now would leave behind, or None when every correction is exported."""
        n = self.unexported()
        if n == 0:
            return None
        kept = (
            "They are saved and come back when you label this folder again."
            if self.last_error is None
            else f"They could NOT be saved ({self.last_error})."
        )
        what = (
            "corrected or confirmed"
            if self._unexported_keys(self.confirmed, self.exported_confirmed)
            else "corrected"
        )
        return f"{n} {what} face(s) in {self.folder} are in no export yet. {kept}"

    def save(self) -> bool:
        data = {
            "version": FORMAT_VERSION,
            "folder": str(self.folder),
            "labels": self.labels,
            "exported": self.exported,
            "confirmed": self.confirmed,
            "exported_confirmed": self.exported_confirmed,
            "whole_image": sorted(self.whole_image),
        }
        try:
            atomic.write_json(self.file, data)
        except OSError as exc:
            self.last_error = f"corrections could not be saved to {self.file}: {exc.strerror or exc}"
            return False
        self.last_error = None
        return True


def _labels(saved: object) -> dict[str, str]:
    """A saved ``{face: emotion}`` map, its malformed entries dropped ({} for anything but a dict)."""
    if not isinstance(saved, dict):
        return {}
    return {k: v for k, v in saved.items() if isinstance(k, str) and v in CLASS_NAMES}


def _load_note(corrections: int, confirmations: int) -> str:
    parts = [f"{corrections} saved corrections"] if corrections else []
    parts += [f"{confirmations} confirmed faces"] if confirmations else []
    return f"{' and '.join(parts)} for this folder" if parts else ""
