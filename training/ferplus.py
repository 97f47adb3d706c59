"""FER+ crowd labels as another label source for FER2013.

``fer2013new.csv`` has one row per row of the original ``fer2013.csv`` with ten
votes per image over neutral, happiness, surprise, sadness, anger, disgust,
fear, contempt, unknown and NF (not a face).  A 7-class model keeps the seven
shared emotions; votes for contempt, unknown and not-a-face are dropped, and an
image where those win is left out.

Joining to images: the csv loader knows each image's row; the Kaggle folder
layout needs a manifest with ``path`` and ``fer_row`` columns (one ships with
the project's data in ``fer2013/manifest.csv``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import numpy as np

from training.contract.labels import CLASS_INDEX, NUM_CLASSES
from training.datasets import DatasetError, LabeledImages, open_csv

log = logging.getLogger(__name__)

FerPlusMode = Literal["majority", "soft"]

# FER+ column -> our class name; the other columns are not emotions we predict.
FERPLUS_TO_CLASS = {
    "neutral": "neutral",
    "happiness": "happy",
    "surprise": "surprise",
    "sadness": "sad",
    "anger": "angry",
    "disgust": "disgust",
    "fear": "fear",
}
FERPLUS_OTHER = ("contempt", "unknown", "NF")


def read_votes(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Return (votes over our 7 classes, votes for the other columns), one row per fer2013.csv row."""
    path = Path(path)
    emotions, others = [], []
    with open_csv(path, set(FERPLUS_TO_CLASS) | set(FERPLUS_OTHER)) as reader:
        for row in reader:
            try:
                votes = np.zeros(NUM_CLASSES)
                for column, name in FERPLUS_TO_CLASS.items():
                    votes[CLASS_INDEX[name]] = float(row[column] or 0)
                other = sum(float(row[c] or 0) for c in FERPLUS_OTHER)
            except ValueError:
                raise DatasetError(f"{path}:{reader.line_num}: votes must be numbers") from None
            emotions.append(votes)
            others.append(other)
    return np.array(emotions), np.array(others)


def read_manifest_rows(manifest: str | Path) -> dict[str, int]:
    """``path`` (relative to the dataset root) -> row of the original fer2013.csv."""
    manifest = Path(manifest)
    with open_csv(manifest, {"path", "fer_row"}) as reader:
        return {row["path"]: int(row["fer_row"]) for row in reader if row["fer_row"]}


def rows_for(data: LabeledImages, root: str | Path, manifest: str | Path | None) -> np.ndarray:
    """The fer2013.csv row of each image (-1 where unknown)."""
    if data.fer_rows is not None:
        return data.fer_rows
    manifest = Path(manifest) if manifest else Path(root) / "manifest.csv"
    if not manifest.is_file():
        raise DatasetError(
            f"FER+ labels need a manifest with fer_row to join image folders: {manifest} missing"
        )
    table = read_manifest_rows(manifest)
    root = Path(root)
    return np.array([table.get(Path(p).relative_to(root).as_posix(), -1) for p in data.paths])


def apply_ferplus(
    data: LabeledImages,
    votes: np.ndarray,
    other_votes: np.ndarray,
    rows: np.ndarray,
    mode: FerPlusMode = "majority",
) -> LabeledImages:
    """Relabel ``data`` with FER+ votes; images FER+ has no emotion majority for are dropped."""
    known = (rows >= 0) & (rows < len(votes))
    safe_rows = np.where(known, rows, 0)
    v = votes[safe_rows]
    keep = known & (v.sum(axis=1) > other_votes[safe_rows])
    idx = np.flatnonzero(keep)
    out = data.subset(idx)
    kept_votes = v[idx]
    out.labels = kept_votes.argmax(axis=1).astype(np.int64)
    if mode == "soft":
        out.soft = (kept_votes / kept_votes.sum(axis=1, keepdims=True)).astype(np.float32)
    log.info("FER+ %s labels: kept %d of %d images", mode, len(out), len(data))
    return out


def mix_ferplus(
    data: LabeledImages, votes: np.ndarray, other_votes: np.ndarray, rows: np.ndarray, weight: float
) -> LabeledImages:
    """Blend FER2013's label with FER+'s vote distribution: ``weight`` of each target is FER+'s.

    Alone, FER+ votes moved the model's bias from "sad" to "neutral" and cost 7.5
    points on FER2013's own labels; FER2013's labels alone give the "sad" bias
    (FER+ relabels about 40% of its "sad" images as neutral).  A blend keeps the
    argmax of clear cases and softens the disputed ones.  Images FER+ calls
    not-a-face or unknown are dropped; images FER+ has no row for keep FER2013's label.
    """
    if not 0.0 <= weight <= 1.0:
        raise DatasetError(f"FER+ weight {weight} is not between 0 and 1")
    known = (rows >= 0) & (rows < len(votes))
    safe_rows = np.where(known, rows, 0)
    v = np.where(known[:, None], votes[safe_rows], 0.0)
    emotion_votes = v.sum(axis=1)
    keep = ~known | (emotion_votes > other_votes[safe_rows])
    idx = np.flatnonzero(keep)
    out = data.subset(idx)
    one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[out.labels]
    share = v[idx] / np.maximum(emotion_votes[idx], 1.0)[:, None]
    w = np.where(known[idx], weight, 0.0)[:, None]
    out.soft = ((1.0 - w) * one_hot + w * share).astype(np.float32)
    log.info("FER2013 + FER+ labels (FER+ weight %.2f): kept %d of %d images", weight, len(out), len(data))
    return out
