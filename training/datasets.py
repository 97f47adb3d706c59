"""Loaders for the face-image layouts users actually have.

Every loader returns a :class:`LabeledImages` whose images already went
through :func:`training.contract.preprocess.to_model_input`, so a model trained on it
sees exactly what the app will feed it.

Supported layouts:

* Kaggle FER2013 folders ``DIR/{train,test}/<class>/*.jpg``; the file-name
  prefix (``Training_``, ``PublicTest_``, ``PrivateTest_``) gives the split.
* The original ``fer2013.csv`` (``emotion,pixels,Usage``).
* A plain class-folder tree ``DIR/<class>/*`` (e.g. crops exported by the
  Label tab).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from training.contract.labels import CLASS_NAMES, NUM_CLASSES, class_index
from training.contract.photos import IMAGE_SUFFIXES, PhotoError, read_photo
from training.contract.preprocess import INPUT_SHAPE, to_model_input

log = logging.getLogger(__name__)

OnError = Literal["raise", "skip"]

# Kaggle layout: split name -> file-name prefixes that belong to it.
KAGGLE_SPLITS: dict[str, tuple[str, ...]] = {
    "train": ("Training_",),
    "public": ("PublicTest_",),
    "private": ("PrivateTest_",),
    "test": ("PublicTest_", "PrivateTest_"),
}
CSV_USAGE = {
    "train": ("Training",),
    "public": ("PublicTest",),
    "private": ("PrivateTest",),
    "test": ("PublicTest", "PrivateTest"),
}


class DatasetError(ValueError):
    """Bad or unusable training data; the message names the file (and line)."""


@dataclass
class LabeledImages:
    """Model-ready images with integer labels (and optional soft targets)."""

    images: np.ndarray  # (N, 96, 96, 3) uint8
    labels: np.ndarray  # (N,) int64, index into CLASS_NAMES
    paths: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    soft: np.ndarray | None = None  # (N, 7) target distributions, e.g. FER+ votes
    fer_rows: np.ndarray | None = None  # row in the original fer2013.csv, when known

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=NUM_CLASSES)
        return {name: int(c) for name, c in zip(CLASS_NAMES, counts, strict=True)}

    def fingerprint(self) -> str:
        """Content hash of pixels and labels: two runs on equal data share it."""
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.images).tobytes())
        h.update(self.labels.astype(np.int64).tobytes())
        return h.hexdigest()[:16]

    def subset(self, index: np.ndarray) -> LabeledImages:
        return LabeledImages(
            self.images[index],
            self.labels[index],
            [self.paths[i] for i in index] if self.paths else [],
            soft=None if self.soft is None else self.soft[index],
            fer_rows=None if self.fer_rows is None else self.fer_rows[index],
        )

    def targets(self) -> np.ndarray:
        """(N, 7) training targets: the soft distribution if there is one, else one-hot."""
        if self.soft is not None:
            return self.soft
        return np.eye(NUM_CLASSES, dtype=np.float32)[self.labels]

    @staticmethod
    def concat(parts: Iterable[LabeledImages]) -> LabeledImages:
        parts = list(parts)
        any_soft = any(p.soft is not None for p in parts)
        return LabeledImages(
            np.concatenate([p.images for p in parts]),
            np.concatenate([p.labels for p in parts]),
            [path for p in parts for path in p.paths],
            [s for p in parts for s in p.skipped],
            soft=np.concatenate([p.targets() for p in parts]) if any_soft else None,
        )


def check_usable(data: LabeledImages, what: str, allow_missing: bool = False) -> list[str]:
    """Refuse, before any training starts, data that can't train a 7-class model.

    Training from scratch needs every class.  Fine-tuning a model that already
    knows all seven (``allow_missing``) can do with a few: a folder of exported
    corrections rarely holds every emotion.  Returns the classes without images.
    """
    if len(data) == 0:
        raise DatasetError(f"{what}: no usable images found")
    missing = [name for name, n in data.class_counts().items() if n == 0]
    if missing and not allow_missing:
        raise DatasetError(f"{what}: no images for class(es) {', '.join(missing)}")
    return missing


@contextlib.contextmanager
def open_csv(path: Path, required: set[str]) -> Iterator[csv.DictReader]:
    """A DictReader over ``path`` whose header holds ``required``; DatasetError otherwise."""
    try:
        fh = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"{path}: {exc.strerror}") from exc
    with fh:
        reader = csv.DictReader(fh)
        missing = required - set(reader.fieldnames or [])
        if missing:
            raise DatasetError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        yield reader


def _read_image(path: Path) -> np.ndarray:
    try:
        return read_photo(path)
    except PhotoError as exc:
        raise DatasetError(f"{path}: {exc}") from None


def _collect(items: Iterator[tuple[Path, int]], on_error: OnError, what: str) -> LabeledImages:
    images, labels, paths, skipped = [], [], [], []
    for path, label in items:
        try:
            images.append(to_model_input(_read_image(path)))
        except (DatasetError, ValueError, cv2.error) as exc:
            if on_error == "raise":
                raise DatasetError(str(exc)) from exc
            skipped.append((str(path), str(exc)))
            continue
        labels.append(label)
        paths.append(str(path))
    if skipped:
        log.warning("%s: skipped %d unreadable file(s)", what, len(skipped))
    return LabeledImages(_stack(images), np.asarray(labels, dtype=np.int64), paths, skipped)


def _stack(images: list[np.ndarray]) -> np.ndarray:
    if not images:
        return np.zeros((0, *INPUT_SHAPE), dtype=np.uint8)
    return np.stack(images)


def _class_dirs(root: Path, on_error: OnError) -> Iterator[tuple[Path, int]]:
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        try:
            yield sub, class_index(sub.name)
        except KeyError as exc:
            if on_error == "raise":
                raise DatasetError(f"{sub}: {exc.args[0]}") from None
            log.warning("skipping folder %s: %s", sub, exc.args[0])


def class_folder_files(root: str | Path, on_error: OnError = "raise") -> Iterator[tuple[Path, int]]:
    """(image file, label) of ``root/<class>/*``, recursively inside each class folder, in order."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder")
    for sub, label in _class_dirs(root, on_error):
        for f in sorted(sub.rglob("*")):
            if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES:
                yield f, label


def load_class_folders(root: str | Path, on_error: OnError = "raise") -> LabeledImages:
    """Read ``root/<class>/*`` (recursively inside each class folder)."""
    return _collect(class_folder_files(root, on_error), on_error, str(root))


def is_kaggle_layout(root: str | Path) -> bool:
    root = Path(root)
    return (root / "train").is_dir() or (root / "test").is_dir()


def has_own_splits(path: str | Path) -> bool:
    """Whether the data brings its own validation split (FER2013's PublicTest): folders or csv.

    A class-folder tree has none; training holds out a share of each class instead.
    """
    path = Path(path)
    return (path.is_dir() and is_kaggle_layout(path)) or (path.is_file() and path.suffix.lower() == ".csv")


def kaggle_files(root: str | Path, split: str, on_error: OnError = "raise") -> Iterator[tuple[Path, int]]:
    """(image file, label) of one split of the Kaggle FER2013 folder layout, in order."""
    root = Path(root)
    if split not in KAGGLE_SPLITS:
        raise DatasetError(f"unknown split {split!r}; expected one of {sorted(KAGGLE_SPLITS)}")
    prefixes = KAGGLE_SPLITS[split]
    folder = root / ("train" if split == "train" else "test")
    if not folder.is_dir():
        raise DatasetError(f"{folder}: missing (expected the Kaggle layout DIR/train, DIR/test)")
    for sub, label in _class_dirs(folder, on_error):
        for f in sorted(sub.iterdir()):
            if f.is_file() and f.name.startswith(prefixes):
                yield f, label


def load_kaggle_folders(root: str | Path, split: str, on_error: OnError = "raise") -> LabeledImages:
    """Read one split of the Kaggle FER2013 folder layout."""
    folder = Path(root) / ("train" if split == "train" else "test")
    return _collect(kaggle_files(root, split, on_error), on_error, f"{folder} ({split})")


def load_fer2013_csv(path: str | Path, split: str, on_error: OnError = "raise") -> LabeledImages:
    """Read one split of the original ``fer2013.csv`` (48x48 pixels as text)."""
    path = Path(path)
    if split not in CSV_USAGE:
        raise DatasetError(f"unknown split {split!r}; expected one of {sorted(CSV_USAGE)}")
    usages = CSV_USAGE[split]
    images, labels, paths, skipped, rows = [], [], [], [], []
    with open_csv(path, {"emotion", "pixels", "Usage"}) as reader:
        for row_number, row in enumerate(reader):
            where = f"{path}:{reader.line_num}"
            try:
                if row.get("Usage") not in usages:
                    continue
                images.append(to_model_input(_parse_pixels(row["pixels"], where)))
                labels.append(_parse_label(row["emotion"], where))
            except DatasetError as exc:
                if len(images) > len(labels):
                    images.pop()
                if on_error == "raise":
                    raise
                skipped.append((where, str(exc)))
                continue
            paths.append(where)
            rows.append(row_number)
    if skipped:
        log.warning("%s: skipped %d malformed row(s)", path, len(skipped))
    labels_array = np.asarray(labels, dtype=np.int64)
    return LabeledImages(
        _stack(images), labels_array, paths, skipped, fer_rows=np.asarray(rows, dtype=np.int64)
    )


def _parse_pixels(text: str | None, where: str) -> np.ndarray:
    try:
        values = np.array((text or "").split(), dtype=np.int64)
    except ValueError:
        raise DatasetError(f"{where}: pixels are not integers") from None
    if values.size != 48 * 48:
        raise DatasetError(f"{where}: expected 2304 pixels, found {values.size}")
    if values.min() < 0 or values.max() > 255:
        raise DatasetError(f"{where}: pixel values must be 0..255")
    return values.astype(np.uint8).reshape(48, 48)


def _parse_label(text: str | None, where: str) -> int:
    try:
        label = int(text or "")
    except ValueError:
        raise DatasetError(f"{where}: emotion {text!r} is not an integer") from None
    if not 0 <= label < NUM_CLASSES:
        raise DatasetError(f"{where}: emotion {label} outside 0..{NUM_CLASSES - 1}")
    return label


def load_any(path: str | Path, split: str, on_error: OnError = "raise") -> LabeledImages:
    """Pick the loader from what ``path`` looks like.

    A class-folder tree has no splits of its own: ``split`` must be ``all``
    (callers carve validation out of it themselves).
    """
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".csv":
        return load_fer2013_csv(path, split, on_error)
    if path.is_dir() and is_kaggle_layout(path):
        return load_kaggle_folders(path, split, on_error)
    if path.is_dir():
        _check_class_tree_split(path, split)
        return load_class_folders(path, on_error)
    raise DatasetError(f"{path}: not a dataset (expected a folder or fer2013.csv)")


def _check_class_tree_split(path: Path, split: str) -> None:
    if split not in ("all", "train"):
        raise DatasetError(f"{path}: a class-folder tree has no {split!r} split")


def labelled_files(path: str | Path, split: str, on_error: OnError = "raise") -> list[tuple[Path, int]]:
    """The (image file, label) pairs that :func:`load_any` reads, not decoded.

    For callers that decode and crop photos themselves (``fer-desktop eval --detect``).
    """
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".csv":
        raise DatasetError(f"{path}: holds pixel rows, not photos (needs a folder of image files)")
    if path.is_dir() and is_kaggle_layout(path):
        return list(kaggle_files(path, split, on_error))
    if path.is_dir():
        _check_class_tree_split(path, split)
        return list(class_folder_files(path, on_error))
    raise DatasetError(f"{path}: not a dataset (expected a folder or fer2013.csv)")


def default_split(path: str | Path) -> str:
    """The split to evaluate when none is named: FER2013's PrivateTest, or all of a class-folder tree."""
    path = Path(path)
    is_csv = path.is_file() and path.suffix.lower() == ".csv"
    return "private" if is_csv or (path.is_dir() and is_kaggle_layout(path)) else "all"


def count_classes(path: str | Path) -> dict[str, dict[str, int]]:
    """Images per class and split, from file names only (no decoding): fast enough for a UI.

    Folders that are not class names are reported under ``"?unknown folders"``.
    """
    path = Path(path)
    counts: dict[str, dict[str, int]] = {}

    def add(split: str, name: str, n: int) -> None:
        try:
            cls = CLASS_NAMES[class_index(name)]
        except KeyError:
            cls = "?unknown folders"
        counts.setdefault(split, dict.fromkeys(CLASS_NAMES, 0))
        counts[split][cls] = counts[split].get(cls, 0) + n

    if path.is_file() and path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                usage = row.get("Usage") or "all"
                label = row.get("emotion", "")
                name = CLASS_NAMES[int(label)] if label.isdigit() and int(label) < NUM_CLASSES else "?"
                add(usage, name, 1)
        return counts
    if not path.is_dir():
        raise DatasetError(f"{path}: not a dataset (expected a folder or fer2013.csv)")
    if is_kaggle_layout(path):
        for split, prefixes in (("train", KAGGLE_SPLITS["train"]), ("public", KAGGLE_SPLITS["public"]),
                                ("private", KAGGLE_SPLITS["private"])):  # fmt: skip
            folder = path / ("train" if split == "train" else "test")
            if folder.is_dir():
                for sub in (p for p in folder.iterdir() if p.is_dir()):
                    add(split, sub.name, sum(1 for f in sub.iterdir() if f.name.startswith(prefixes)))
        return counts
    for sub in (p for p in path.iterdir() if p.is_dir()):
        add("all", sub.name, sum(1 for f in sub.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES))
    return counts
