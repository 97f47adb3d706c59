"""Export a trained model (and its card) to where the app ships or stores models.

    python -m training.export RUN_DIR/model.keras assets/models/fer_default.keras

Copies the ``.keras`` file atomically and rewrites the card beside the copy
with the new name and path, the file's SHA-256 and its size, so the card
always describes the file next to it.  The model's TFLite copy (the app's
fast runtime) travels with it, or is made if the source has none; so does its int8 copy
where it has a current one (``python -m training.quantise`` makes one).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from training.card import write_card
from training.contract import atomic
from training.contract.model_card import read_card
from training.contract.tflite_copy import (
    file_sha256,
    int8_entry,
    int8_path,
    matching_int8,
    matching_tflite,
    tflite_path,
)
from training.quantise import int8_record
from training.tflite import tflite_entry, write_tflite


def export_model(source: str | Path, dest: str | Path) -> dict:
    source, dest = Path(source), Path(dest)
    card = read_card(source)
    if card is None:
        raise FileNotFoundError(f"{source}: no model card beside it (train with training.fit.train)")
    with atomic.atomic_path(dest) as tmp:
        shutil.copyfile(source, tmp)
    digest = file_sha256(dest)
    source_lite = matching_tflite(source, card)
    if source_lite is not None:
        with atomic.atomic_path(tflite_path(dest)) as tmp:
            shutil.copyfile(source_lite, tmp)
        lite = tflite_entry(dest)
    else:
        from training.model import load_model

        lite = write_tflite(load_model(dest), dest)
    if matching_int8(source, card) is not None:  # a model without a current one keeps its float copy
        with atomic.atomic_path(int8_path(dest)) as tmp:
            shutil.copyfile(int8_path(source), tmp)
        lite["int8"] = int8_record(dest, int8_entry(card).get("calibration"))
    card.update(
        name=dest.stem,
        path=str(dest),
        trained_as=str(source),
        file={"sha256": digest, "bytes": dest.stat().st_size},
        tflite=lite,
    )
    write_card(dest, card)
    return card


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    exported = export_model(sys.argv[1], sys.argv[2])
    print(f"exported {sys.argv[2]} ({exported['file']['bytes'] / 1e6:.1f} MB)")
