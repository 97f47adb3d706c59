"""Personal calibration from a folder of one person's photos (``fer-desktop personalize``).

The photo and face side: ``DIR/<emotion>/…`` photos are decoded and their
faces found and cropped exactly as ``label`` does (``photos.read_photo``,
``FaceDetector``, ``crop_face`` with the same margin, the largest face of each
photo), then handed as arrays to ``training.personalize`` for the fine-tune.
The result is an ordinary ``.keras`` model with its TFLite copy and a card,
usable wherever a model is (``--model``, the Train tab, "Use this model").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fer_desktop.labelling.decoding import decoded_photos
from fer_desktop.labelling.walk import list_files
from fer_desktop.pipeline.faces import CROP_MARGIN, FaceDetector, crop_face
from training.contract.labels import CLASS_NAMES, class_index
from training.contract.photos import PhotoError
from training.contract.preprocess import INPUT_SHAPE, to_model_input
from training.contract.wording import count


class PersonalizeError(Exception):
    """A folder that cannot be used; the message says why (exit code 1 on the CLI)."""


@dataclass
class PersonalPhotos:
    """The usable face crops of a folder, and what could not be used (never dropped silently)."""

    images: np.ndarray  # (N, 96, 96, 3) uint8, to_model_input crops
    labels: np.ndarray  # (N,) class indices
    paths: list[str]  # relative to the folder, one per crop
    photos: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    no_face: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # files outside the emotion folders

    def counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=len(CLASS_NAMES))
        return {name: int(n) for name, n in zip(CLASS_NAMES, counts, strict=True) if n}

    def summary(self) -> str:
        found = ", ".join(f"{name} {n}" for name, n in self.counts().items())
        text = (
            f"{count(self.photos, 'photo')}: {count(len(self.labels), 'face')} ({found}), "
            f"{len(self.no_face)} without a face, {len(self.unreadable)} unreadable"
        )
        if self.ignored:
            text += f", {count(len(self.ignored), 'file')} outside the emotion folders ignored"
        return text


def emotion_folders(root: Path) -> list[tuple[Path, int]]:
    """``root``'s class folders with their class index; every problem named at once."""
    if not root.exists():
        raise PersonalizeError(f"{root}: no such folder")
    if not root.is_dir():
        raise PersonalizeError(f"{root}: not a folder")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise PersonalizeError(
            f"{root}: no emotion folders in it (expected {root}/<emotion>/ with emotions "
            f"{', '.join(CLASS_NAMES)})"
        )
    known, unknown = [], []
    for folder in folders:
        try:
            known.append((folder, class_index(folder.name)))
        except KeyError:
            unknown.append(folder.name)
    if unknown:
        raise PersonalizeError(
            f"{root}: unknown emotion folder(s): {', '.join(unknown)} "
            f"(expected some of: {', '.join(CLASS_NAMES)})"
        )
    return known


def largest_face(image: np.ndarray, detector: FaceDetector | None, margin: float) -> np.ndarray | None:
    """The crop of the photo's largest face (``label``'s framing), the whole image without a detector."""
    if detector is None:
        return image
    boxes = detector.detect(image)
    if not boxes:
        return None
    return crop_face(image, max(boxes, key=lambda b: b.area), margin)


def collect_photos(
    root: str | Path,
    detector: FaceDetector | None,
    margin: float = CROP_MARGIN,
    on_progress: Callable[[int, int], None] | None = None,
) -> PersonalPhotos:
    """Every usable face under ``root/<emotion>/``; raises PersonalizeError when none is."""
    root = Path(root)
    folders = emotion_folders(root)
    files: list[tuple[Path, int]] = [(f, label) for folder, label in folders for f in list_files(folder, [])]
    in_folders = {f for f, _ in files}
    ignored = [f.relative_to(root).as_posix() for f in list_files(root, []) if f not in in_folders]
    if not files:
        raise PersonalizeError(f"{root}: the emotion folders hold no photos")
    label_of = dict(files)
    crops, labels, paths = [], [], []
    result = PersonalPhotos(np.zeros((0, *INPUT_SHAPE), np.uint8), np.zeros(0, np.int64), [], ignored=ignored)
    for done, (f, decoded) in enumerate(decoded_photos([f for f, _ in files]), start=1):
        rel = f.relative_to(root).as_posix()
        if isinstance(decoded, PhotoError):
            result.unreadable.append((rel, str(decoded)))
        else:
            crop = largest_face(decoded, detector, margin)
            if crop is None:
                result.no_face.append(rel)
            else:
                crops.append(to_model_input(crop))
                labels.append(label_of[f])
                paths.append(rel)
        if on_progress is not None:
            on_progress(done, len(files))
    result.photos = len(files)
    if not crops:
        reasons = f"{len(result.no_face)} without a face, {len(result.unreadable)} unreadable"
        photos = count(len(files), "photo")
        raise PersonalizeError(f"{root}: no face found in any of its {photos} ({reasons})")
    result.images, result.labels, result.paths = np.stack(crops), np.asarray(labels, np.int64), paths
    return result


def check_photos(
    folder: str | Path | None,
    labels: Iterable[int] | None = None,
    detector: FaceDetector | None = None,
    margin: float = CROP_MARGIN,
    log: Callable[[str], None] = lambda _msg: None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The check crops under ``folder`` as (images, labels), only of the emotions in ``labels``
    (those of the training photos; None: every emotion); None when there are none.
    ``detector``: find each photo's largest face as the training photos' are (None: crops).
    ``log`` hears what was found (photos without a face or unreadable are counted, not hidden)."""
    if folder is None or not Path(folder).is_dir():
        return None
    try:
        photos = collect_photos(folder, detector, margin)
    except PersonalizeError as exc:  # no emotion folder, or no readable crop in them
        log(f"check photos: {exc}")
        return None
    log(f"check photos: {photos.summary()}")
    keep = np.ones(len(photos.labels), bool) if labels is None else np.isin(photos.labels, list(labels))
    if not keep.any():
        return None
    return photos.images[keep], photos.labels[keep]


def personalize_folder(
    root: str | Path,
    out: str | Path,
    base: str | Path,
    *,
    detect: bool = True,
    margin: float = CROP_MARGIN,
    settings=None,
    check_folder: str | Path | None = None,
    name: str | None = None,
    on_photo: Callable[[int, int], None] | None = None,
    on_step: Callable[[int, int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    log: Callable[[str], None] = lambda _msg: None,
) -> dict[str, Any]:
    """Fine-tune ``base`` on the faces under ``root``; writes ``out``, its TFLite copy and card.

    ``check_folder``: photos of the same person never trained on (``DIR/<emotion>/``, their
    faces found as the training photos' are, ``detect``), scored per emotion before and after
    (the card's ``check``), only the emotions the training photos have; a missing or empty
    folder gives no score.
    ``name``: the card's name.  Returns the card.
    ``ModelLoadError`` for a bad base model, PersonalizeError for a bad folder.
    """
    started = time.monotonic()
    out = Path(out)
    if out.suffix != ".keras":
        raise PersonalizeError(f"{out}: the output must be a .keras file")
    base = Path(base)
    if not base.is_file():
        raise PersonalizeError(f"{base}: base model not found")
    detector = FaceDetector() if detect else None
    try:
        photos = collect_photos(root, detector, margin, on_progress=on_photo)
        check = check_photos(check_folder, set(photos.labels.tolist()), detector, margin, log)
    finally:
        if detector is not None:
            detector.close()
    log(photos.summary())
    from fer_desktop.models.classifier import load_checked_model
    from training.config import PersonalizeSettings
    from training.contract.model_card import read_card
    from training.personalize import choose_method, personalize_and_save
    from training.reference_features import CARD_KEY as REFERENCE_KEY

    settings = settings or PersonalizeSettings()
    try:
        method = choose_method(photos.labels, settings.method)
    except ValueError as exc:
        raise PersonalizeError(f"{root}: {exc}") from None
    if method == "rest-face" and len(photos.counts()) > 1:
        log("rest-face: only the neutral photos are used")

    model = load_checked_model(base)
    card = personalize_and_save(
        model,
        photos.images,
        photos.labels,
        out,
        base_path=base,
        settings=settings,
        on_step=on_step,
        should_stop=should_stop,
        check=check,
        name=name,
        reference=(read_card(base) or {}).get(REFERENCE_KEY),
    )
    card["photos"].update(
        folder=str(Path(root).resolve()),
        detect=detect,
        margin=margin,
        photos=photos.photos,
        unreadable=[{"path": p, "reason": r} for p, r in photos.unreadable],
        no_face=photos.no_face,
        ignored=photos.ignored,
    )
    card["wall_time_s"] = round(time.monotonic() - started, 1)
    from training.personalize import write_personal_card

    write_personal_card(out, card)
    return card
