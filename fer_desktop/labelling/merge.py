"""``fer-desktop merge-labels``: the CSVs of ``label --shard K/N`` runs joined into one.

The result is the CSV one ``label`` run over the whole folder would have written: the same
header, each photo's rows together and in their order, photos in ``label``'s file order.  Cells
are copied as text, never re-parsed, so nothing is rounded twice.  The parts' reuse
bookkeeping is merged too, so a later ``label`` run over the whole folder with the merged CSV
as ``--out`` labels only the photos that are new or changed.
"""

from __future__ import annotations

import contextlib
import csv
import json
from pathlib import Path, PurePath

from fer_desktop.labelling.reuse import output_lock, state_path
from fer_desktop.labelling.rows import REQUIRED_COLUMNS
from training.contract import atomic

MODEL_KEYS = ("model_file", "model_sha256")  # a state's model by name and whole hash


class MergeError(ValueError):
    """The parts cannot be joined; the message names the part and the problem."""


def read_part(path: Path) -> tuple[list[str], dict[str, list[list[str]]]]:
    """A part's header and its rows grouped by photo (in the part's order)."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise MergeError(f"{path}: empty file, not a `fer-desktop label` CSV")
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise MergeError(f"{path}: not a `fer-desktop label` CSV (no column {', '.join(missing)})")
            where = header.index("path")
            photos: dict[str, list[list[str]]] = {}
            last = None
            for line, row in enumerate(reader, start=2):
                if len(row) != len(header):
                    raise MergeError(
                        f"{path}, line {line}: {len(row)} cells where the header has {len(header)}"
                    )
                name = row[where]
                if name in photos and name != last:
                    raise MergeError(f"{path}, line {line}: the rows of {name} are not together")
                photos.setdefault(name, []).append(row)
                last = name
    except UnicodeDecodeError as exc:
        raise MergeError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise MergeError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except csv.Error as exc:
        raise MergeError(f"{path}: not a readable CSV ({exc})") from None
    return header, photos


def merge_parts(parts: list[Path]) -> tuple[list[str], list[list[str]]]:
    """The whole folder's header and rows; MergeError for mismatched headers or a photo in two parts."""
    header: list[str] | None = None
    owner: dict[str, Path] = {}
    photos: dict[str, list[list[str]]] = {}
    for part in parts:
        part_header, part_photos = read_part(part)
        if header is None:
            header = part_header
        elif part_header != header:
            raise MergeError(f"{part}: its columns differ from {parts[0]}'s (made by another version?)")
        for name, rows in part_photos.items():
            if name in owner:
                raise MergeError(f"{name} is in both {owner[name]} and {part} (the same part given twice?)")
            owner[name] = part
            photos[name] = rows
    if header is None:
        raise MergeError("no parts to merge")
    # Rows' paths are relative to one folder, so they sort as `label` sorts the folder's files.
    ordered = sorted(photos, key=PurePath)
    return header, [row for name in ordered for row in photos[name]]


def merge_label_csvs(out: str | Path, parts: list[str | Path]) -> tuple[int, str]:
    """Write the joined CSV atomically (under ``label``'s lock on ``out``) and its reuse state;
    returns the rows written and, when the state could not be merged, why.

    Without a merged state, a state file left at ``out`` by an earlier ``label`` run is removed:
    it describes rows that are no longer there.
    """
    out = Path(out)
    paths = [Path(p) for p in parts]
    for p in paths:
        if not p.is_file():
            raise MergeError(f"no such part: {p}")
    with contextlib.ExitStack() as locks:
        for p in paths:  # a part being relabelled right now could pair its old rows with its new state
            locks.enter_context(output_lock(p))
        locks.enter_context(output_lock(out))
        state, why_not = merge_states(paths)  # read before the rows: a newer CSV only means relabelling
        header, rows = merge_parts(paths)
        # The old bookkeeping goes first: beside the new rows it would let another run reuse them.
        state_path(out).unlink(missing_ok=True)
        with atomic.atomic_open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
        if state is not None:
            atomic.write_json(state_path(out), state)
    return len(rows), why_not


def merge_states(parts: list[Path]) -> tuple[dict | None, str]:
    """One reuse state for the merged CSV, or None and why: every part must have one, made by
    the same model with the same options on the same folder (``label``'s own reuse rule)."""
    merged: dict | None = None
    for part in parts:
        try:
            state = json.loads(state_path(part).read_text(encoding="utf-8"))
            files = state["files"]
            made_by = {key: state[key] for key in ("model", "options", "root")}
        except FileNotFoundError:
            return None, f"{part} has no reuse state beside it"
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return None, f"{part}'s reuse state cannot be read ({exc})"
        if merged is None:
            merged = {**made_by, "files": {}}
        elif any(merged[key] != value for key, value in made_by.items()):
            return None, f"{part} was made with another model, other options or another folder"
        model = {key: state[key] for key in MODEL_KEYS if key in state}  # since they were added
        if any(merged.setdefault(key, value) != value for key, value in model.items()):
            return None, f"{part} was made with another model"
        merged["files"].update(files)
    return merged, ""
