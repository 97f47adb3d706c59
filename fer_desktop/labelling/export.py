"""A run's rows written out: the CSV, the JSON, and the crops as a class-folder dataset (all atomic).

Each may hold every face or only those a person checked (``checked_rows``): a model trained or
scored on its own unchecked answers learns and measures nothing.
"""

from __future__ import annotations

import csv
import hashlib
import time
from pathlib import Path

import cv2

from fer_desktop.labelling.rows import LABEL_COLUMNS, STATUS_OK, LabelRow, LabelSummary
from training.contract import atomic
from training.contract.label_origin import record_origins
from training.contract.labels import CLASS_NAMES
from training.contract.model_file import ModelIdentity


def checked_rows(rows: list[LabelRow]) -> list[LabelRow]:
    """Only the faces a person confirmed or corrected (photos without a face and unreadable files go)."""
    return [r for r in rows if r.status == STATUS_OK and r.checked]


def write_csv(rows: list[LabelRow], out_csv: str | Path) -> None:
    with atomic.atomic_open(out_csv, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(LABEL_COLUMNS)
        writer.writerows(r.to_csv() for r in rows)


def write_json(
    rows: list[LabelRow],
    dest: str | Path,
    root: Path,
    model_key: str,
    summary: LabelSummary,
    model: ModelIdentity | None = None,
) -> None:
    """``model``: the labelling model's file name and SHA-256 (``model_file``, ``model_sha256``)."""
    atomic.write_json(
        dest,
        {
            "root": str(root),
            "model": model_key,
            **(model.record() if model is not None else {}),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "class_names": list(CLASS_NAMES),
            "summary": {"photos": summary.photos, "faces": summary.faces, "no_face": summary.no_face,
                        "unreadable": summary.unreadable, "emotions": dict(summary.emotions)},
            "rows": [r.to_json() for r in rows],
        },
    )  # fmt: skip


def crop_file_name(row: LabelRow) -> str:
    """A flat, unique file name for one face: ``a.jpg`` and ``a.png`` keep their extensions apart.

    Folders become ``__``; a path that already holds ``__`` (``x__a.jpg`` against ``x/a.jpg``)
    gets a short hash of the real path, so two faces never share a name.
    """
    flat = row.path.replace("/", "__")
    if "__" in row.path:
        flat += "-" + hashlib.sha256(row.path.encode("utf-8")).hexdigest()[:8]
    return f"{flat}__face{row.face}.png"


def export_crops(rows: list[LabelRow], dest: str | Path) -> int:
    """Write each face's 96x96 crop into ``dest/<emotion>/``: a class-folder dataset.

    A face exported earlier under another label (corrected since) is removed from there once
    its new file is written, so a re-export never leaves a face under two labels. Who gave
    each label (the model, or a person) is recorded in ``dest/label_origin.csv`` for training.
    """
    dest = Path(dest)
    origins: dict[str, str] = {}
    moved: list[str] = []
    for row in rows:
        if row.status != STATUS_OK or row.crop is None:
            continue
        name = crop_file_name(row)
        ok, buf = cv2.imencode(".png", row.crop)
        if not ok:
            continue
        with atomic.atomic_path(dest / row.emotion / name) as tmp:
            tmp.write_bytes(buf.tobytes())
        for other in CLASS_NAMES:
            if other != row.emotion:
                (dest / other / name).unlink(missing_ok=True)
                moved.append(f"{other}/{name}")
        origins[f"{row.emotion}/{name}"] = row.label_origin
    if origins:
        record_origins(dest, origins, moved)
    return len(origins)
