"""The rows a labelling run makes: one per face, or one per photo without a usable face.

CSV columns ``path, face, x, y, w, h, emotion, confidence``, one per class and
``status`` are a contract: add, never rename.  ``confidence`` is the model's probability
of the row's ``emotion``: for a face a person corrected, of the human label, not of the
model's own answer (that one is ``model_confidence``, beside ``model_emotion``).  ``checked``
is ``yes`` for a face a person confirmed or corrected, ``no`` for the model's own unchecked
answer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from fer_desktop.pipeline.faces import Box
from training.contract.label_origin import ORIGIN_CONFIRMED, ORIGIN_CORRECTED, ORIGIN_MODEL
from training.contract.labels import CLASS_NAMES
from training.contract.wording import count

LABEL_COLUMNS = [
    "path", "face", "x", "y", "w", "h", "emotion", "confidence", *CLASS_NAMES,
    "status", "label_source", "model_emotion", "model_confidence", "face_source", "checked",
]  # fmt: skip
# What a CSV must hold to be read back: the columns added later ("checked") may be missing.
REQUIRED_COLUMNS = LABEL_COLUMNS[: LABEL_COLUMNS.index("face_source") + 1]
STATUS_OK = "ok"
STATUS_NO_FACE = "no face"
UNREADABLE = "unreadable: "  # the status of a file that could not be read starts so, its reason follows
FACE_DETECTED = "detector"  # face_source: the face detector's box
FACE_WHOLE_IMAGE = (
    "whole image"  # face_source: the whole image taken as the face (--no-detect, or a user's choice)
)


@dataclass
class LabelRow:
    """One face of one photo, or one photo without a usable face."""

    path: str  # relative to the labelled folder, with forward slashes
    status: str
    face: int | None = None
    box: Box | None = None
    probs: np.ndarray | None = None
    label_source: str = ""  # "model" or "human"
    human_emotion: str = ""
    crop: np.ndarray | None = field(default=None, repr=False)  # 96x96 BGR thumbnail
    face_source: str = ""  # FACE_DETECTED or FACE_WHOLE_IMAGE for a face
    confirmed: bool = False  # a person said the model's label is right

    @property
    def checked(self) -> bool:
        """A person looked at this face's label: confirmed it or corrected it."""
        return self.label_source == "human" or self.confirmed

    @property
    def label_origin(self) -> str:
        """Who gave the label: ``model`` (unchecked), ``confirmed`` or ``corrected`` by a person."""
        if self.label_source == "human":
            return ORIGIN_CORRECTED
        return ORIGIN_CONFIRMED if self.confirmed else ORIGIN_MODEL

    @property
    def unreadable_reason(self) -> str | None:
        """Why the file could not be read, or None for a file that was read."""
        return self.status[len(UNREADABLE) :] if self.status.startswith(UNREADABLE) else None

    @property
    def model_emotion(self) -> str:
        return "" if self.probs is None else CLASS_NAMES[int(np.argmax(self.probs))]

    @property
    def emotion(self) -> str:
        return self.human_emotion or self.model_emotion

    @property
    def confidence(self) -> float | None:
        """The model's probability of ``emotion``: never the model's certainty about another class."""
        if self.probs is None:
            return None
        return float(self.probs[CLASS_NAMES.index(self.emotion)])

    @property
    def model_confidence(self) -> float | None:
        """The model's probability of its own answer, ``model_emotion``."""
        return None if self.probs is None else float(np.max(self.probs))

    def caption(self) -> str:
        """``happy 81%``; a corrected face says both: ``sad ✎ (model: happy 81%)``."""
        if self.probs is None:
            return self.status
        if self.label_source == "human":
            return f"{self.emotion} ✎ (model: {self.model_emotion} {self.model_confidence:.0%})"
        return f"{self.emotion} {self.confidence:.0%}" + (" ✓" if self.confirmed else "")

    def set_human_label(self, emotion: str) -> None:
        if emotion not in CLASS_NAMES:
            raise ValueError(f"unknown emotion {emotion!r}")
        self.human_emotion = emotion
        self.label_source = "human"

    def clear_human_label(self) -> None:
        """Back to the model's label (an undone correction)."""
        self.human_emotion = ""
        self.label_source = "model"

    def to_csv(self) -> list[str]:
        if self.box is None or self.probs is None:
            empty = [""] * (len(LABEL_COLUMNS) - 2)
            return [self.path, *empty[: LABEL_COLUMNS.index("status") - 1], self.status,
                    *empty[LABEL_COLUMNS.index("status") - 1 :]]  # fmt: skip
        b = self.box
        return [
            self.path, str(self.face), str(b.x), str(b.y), str(b.w), str(b.h), self.emotion,
            f"{self.confidence:.4f}", *(f"{p:.4f}" for p in self.probs), self.status,
            self.label_source, self.model_emotion, f"{self.model_confidence:.4f}", self.face_source,
            "yes" if self.checked else "no",
        ]  # fmt: skip

    def to_json(self) -> dict:
        out: dict = {"path": self.path, "status": self.status}
        if self.box is not None and self.probs is not None:
            out.update(
                face=self.face,
                box=[self.box.x, self.box.y, self.box.w, self.box.h],
                emotion=self.emotion,
                confidence=round(self.confidence or 0.0, 4),
                probabilities={c: round(float(p), 4) for c, p in zip(CLASS_NAMES, self.probs, strict=True)},
                label_source=self.label_source,
                model_emotion=self.model_emotion,
                model_confidence=round(self.model_confidence or 0.0, 4),
                face_source=self.face_source,
                checked=self.checked,
                label_origin=self.label_origin,
            )
        return out

    @classmethod
    def from_csv(cls, row: dict[str, str]) -> LabelRow:
        if not row.get("face"):
            return cls(row["path"], row["status"])
        probs = np.array([float(row[c]) for c in CLASS_NAMES])
        box = Box(int(row["x"]), int(row["y"]), int(row["w"]), int(row["h"]))
        label = cls(
            row["path"], row["status"], int(row["face"]), box, probs, row.get("label_source") or "model",
            face_source=row.get("face_source", ""),  # "" in a CSV written before the column
        )  # fmt: skip
        if label.label_source == "human":
            label.human_emotion = row["emotion"]
        else:
            label.confirmed = row.get("checked") == "yes"
        return label


@dataclass
class LabelSummary:
    photos: int = 0
    faces: int = 0
    no_face: int = 0
    unreadable: int = 0
    reused: int = 0
    cancelled: bool = False
    emotions: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    note: str = ""
    crops: int = 0  # crop files written by --crops-to
    model_file: str = ""  # the file name of the model that labelled the run
    model_sha256: str = ""  # and the SHA-256 of its bytes

    def text(self) -> str:
        parts = [
            f"{count(self.photos, 'photo')}: {count(self.faces, 'face')}, {self.no_face} without a face, "
            f"{self.unreadable} unreadable"
        ]
        if self.reused:
            parts.append(f"{count(self.reused, 'photo')} reused from the previous run")
        if self.emotions:
            parts.append(", ".join(f"{e} {n}" for e, n in sorted(self.emotions.items())))
        parts.append(f"{self.seconds:.1f} s ({self.photos / max(self.seconds, 1e-6):.1f} photos/s)")
        return "\n".join(parts)


def count_rows(rows: list[LabelRow], summary: LabelSummary) -> LabelSummary:
    """Fill the face/no-face/unreadable and per-emotion counts of ``summary`` from ``rows``."""
    summary.faces = summary.no_face = summary.unreadable = 0
    summary.emotions = Counter()
    for r in rows:
        if r.status == STATUS_OK:
            summary.faces += 1
            summary.emotions[r.emotion] += 1
        elif r.status == STATUS_NO_FACE:
            summary.no_face += 1
        else:
            summary.unreadable += 1
    return summary


def unreadable_note(rows: list[LabelRow]) -> str | None:
    """What to say when most files of a run could not be read: ``none of the 12 files could be read:
    7 not an image, 5 empty file``; None when most were read (each file's reason is in its row)."""
    files = {r.path for r in rows}
    reasons = Counter(_reason_kind(r.unreadable_reason) for r in rows if r.unreadable_reason is not None)
    bad = sum(reasons.values())
    if not files or bad * 2 <= len(files):
        return None
    if bad == len(files):
        head = "the file could not be read" if bad == 1 else f"none of the {bad} files could be read"
    else:
        head = f"{bad} of the {len(files)} files could not be read"
    return f"{head}: " + ", ".join(f"{n} {why}" for why, n in reasons.most_common())


def _reason_kind(reason: str) -> str:
    """A reason without its particulars (``corrupt or truncated image: …``), to count alike files together."""
    return reason.split(":")[0].split(" (")[0]
