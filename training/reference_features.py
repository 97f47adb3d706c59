"""A model's reference face: the mean of its last layer's features over its own training images.

    python -m training.reference_features MODEL.keras DATA [--split train]

The rest-face calibration (``training.personal_offsets``) compares the user's resting
face with this reference: the features that set one face at rest apart from the model's
average training face (its brows, its mouth, the camera's light) are taken out of every
photo of it, which for a softmax last layer is a change of its bias alone.  A statistic
of 256 numbers, recorded in the model card (``reference_features``): no training image
ships with a model.

Training (``training.fit``) records it for every model it saves; this command gives an
existing model (the shipped one) its record.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from training.contract.labels import NUM_CLASSES

REFERENCE_IMAGES = 3000
CARD_KEY = "reference_features"


def reference_record(
    model, images: np.ndarray, source: str, n: int = REFERENCE_IMAGES, seed: int = 0
) -> dict[str, Any]:
    """The card's ``reference_features``: the mean features of ``n`` of ``images`` (seeded sample)."""
    from training.personal_offsets import features

    images = np.asarray(images, dtype=np.uint8)
    picked = np.sort(np.random.default_rng(seed).permutation(len(images))[:n])
    mean = features(model, images[picked]).mean(axis=0)
    return {
        "source": source,
        "images": len(picked),
        "seed": seed,
        "mean": [round(float(v), 6) for v in mean],
    }


def reference_mean(card: dict[str, Any] | None, width: int) -> np.ndarray | None:
    """The reference features of a card, when it has them for a last layer of ``width`` inputs."""
    record = (card or {}).get(CARD_KEY)
    if not isinstance(record, dict) or not isinstance(record.get("mean"), list):
        return None
    try:
        mean = np.asarray(record["mean"], dtype=np.float64)
    except (TypeError, ValueError):  # a card edited by hand: no reference, the margin method serves
        return None
    if mean.shape != (width,) or not np.all(np.isfinite(mean)):
        return None
    return mean


def applied_offsets(card: dict[str, Any] | None) -> np.ndarray | None:
    """The rest-face offsets already in a model's bias (a rest-face model's card), else None."""
    record = (card or {}).get(CARD_KEY)
    values = record.get("applied_offsets") if isinstance(record, dict) else None
    if not isinstance(values, list) or len(values) != NUM_CLASSES:
        return None
    try:
        offsets = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return offsets if np.all(np.isfinite(offsets)) else None


def add_reference(keras_path: str | Path, data: str | Path, split: str = "train") -> dict[str, Any]:
    """Record the reference features of an existing model (with a card) from its training data."""
    from training.card import write_card
    from training.contract.model_card import read_card
    from training.model import load_model
    from training.quantise import sample_dataset

    card = read_card(keras_path)
    if card is None:
        raise FileNotFoundError(f"{keras_path}: no model card beside it")
    images = sample_dataset(data, split, n=REFERENCE_IMAGES)
    record = reference_record(load_model(keras_path), images, f"{Path(data).name} ({split})")
    card[CARD_KEY] = record
    write_card(keras_path, card)
    return record


def main() -> int:
    from training.quantise import model_data_parser

    args = model_data_parser(__doc__, "average over").parse_args()
    try:
        record = add_reference(args.model, args.data, args.split)
    except (OSError, ValueError) as exc:  # no card, no data, a last layer without softmax features
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.model}: reference features of {record['images']} images of {record['source']} recorded")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
