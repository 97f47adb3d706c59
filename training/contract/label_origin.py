"""Who gave each label of an exported dataset: the model (unchecked) or a person.

A model scored on its own answers scores near 100%, which says nothing. So an export of
crops writes, beside its class folders, ``label_origin.csv`` (columns ``file`` and
``label_origin``; ``file`` relative to the dataset's folder, with forward slashes), and
training counts how many of its validation labels are the model's own. The file lies
outside every class folder, so the loaders never take it for an image.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from training.contract import atomic
from training.contract.wording import count

ORIGIN_FILE = "label_origin.csv"
ORIGIN_MODEL = "model"  # the labelling model's own answer, checked by nobody
ORIGIN_CONFIRMED = "confirmed"  # a person said the model's answer is right
ORIGIN_CORRECTED = "corrected"  # a person gave another label
ORIGIN_UNKNOWN = "unknown"  # a file the export did not write (a dataset from elsewhere)
ORIGINS = (ORIGIN_MODEL, ORIGIN_CONFIRMED, ORIGIN_CORRECTED)
COLUMNS = ["file", "label_origin"]


def read_origins(root: str | Path) -> dict[str, str]:
    """``{relative file: origin}`` of the dataset at ``root``; {} when it has no (readable) record."""
    try:
        text = (Path(root) / ORIGIN_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    reader = csv.DictReader(io.StringIO(text))
    try:
        return {
            r["file"]: r["label_origin"] for r in reader if r.get("label_origin") in ORIGINS and r.get("file")
        }
    except csv.Error:
        return {}


def record_origins(root: str | Path, written: dict[str, str], removed: Iterable[str] = ()) -> None:
    """Add (or replace) the origins of the files just ``written`` and drop those ``removed``; the
    record of earlier exports into the same folder is kept. Written atomically."""
    origins = read_origins(root)
    for rel in removed:
        origins.pop(rel, None)
    origins.update(written)
    with atomic.atomic_open(Path(root) / ORIGIN_FILE, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(sorted(origins.items()))


def leftover_note(root: str | Path) -> str | None:
    """After an export of checked faces only: what an earlier export of every face left at ``root``
    with the model's own labels. Those files are the user's, so they are named, not removed."""
    base = Path(root)
    left = sum(1 for rel, o in read_origins(base).items() if o == ORIGIN_MODEL and (base / rel).is_file())
    if not left:
        return None
    return (
        f"an earlier export left {count(left, 'crop')} there with the model's own labels "
        "(export to a new folder to train on checked faces only)"
    )


def count_origins(paths: Iterable[str], roots: Iterable[str | Path]) -> Counter:
    """How many of ``paths`` (image files under the dataset folders ``roots``) have each origin.

    A file no record names counts as ``unknown``; a dataset without a record counts nothing
    (``Counter()`` for FER2013 and other datasets that no export wrote).
    """
    known: dict[str, str] = {}
    for root in roots:
        base = Path(root).resolve()
        known.update({str(base / rel): origin for rel, origin in read_origins(root).items()})
    if not known:
        return Counter()
    return Counter(known.get(str(Path(p).resolve()), ORIGIN_UNKNOWN) for p in paths)


def model_share_warning(counts: Counter, what: str = "validation") -> str | None:
    """A warning when most labels are the labelling model's own answers, else None."""
    total = sum(counts.values())
    own = counts.get(ORIGIN_MODEL, 0)
    if total == 0 or own * 2 <= total:
        return None
    return (
        f"{own} of the {total} {what} labels are the labelling model's own answers, checked by nobody: "
        f"a model scored on them is scored against itself. Export only the faces a person checked "
        f"(confirmed or corrected) to measure it."
    )


def dataset_warning(root: str | Path) -> str | None:
    """Before training: a warning when most labels an export recorded in ``root`` are the model's own."""
    counts = Counter(read_origins(root).values()) if Path(root).is_dir() else Counter()
    return model_share_warning(counts, what="exported")
