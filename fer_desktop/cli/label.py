"""``fer-desktop label``: label every face in a folder of photos."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fer_desktop.cli.options import (
    PIPELINE_TF_THREADS,
    add_margin,
    add_model,
    add_no_detect,
    announce_model,
    chosen_model,
    fail,
    positive_int,
)
from fer_desktop.write_errors import describe_write_error
from training.contract.label_origin import leftover_note
from training.contract.wording import count


def add_parser(subparsers) -> argparse.ArgumentParser:
    label = subparsers.add_parser("label", help="label every face in a folder of photos")
    label.add_argument("path", help="folder of photos (walked recursively; photos are never modified)")
    label.add_argument(
        "--out", required=True, help="CSV to write (one row per face; photos without one get a status)"
    )
    label.add_argument("--json", help="also write the results as JSON")
    label.add_argument(
        "--crops-to", help="write each face as a 96x96 PNG into DIR/<emotion>/ (a training dataset)"
    )
    label.add_argument(
        "--checked-only",
        action="store_true",
        help="with --crops-to: write only the faces a person confirmed or corrected in the Label tab "
        "(with the person's label), so a model is not trained or scored on its own answers",
    )
    add_no_detect(label)
    add_model(label)
    add_margin(label)
    label.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        metavar="N",
        help="label with N processes, each with its own detector and model (same output as 1)",
    )
    label.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="label only the K-th of N parts of the sorted photo list (1 <= K <= N); "
        "join the parts' CSVs with merge-labels",
    )
    return label


def _shard(text: str):
    from fer_desktop.labelling.walk import Shard

    try:
        return Shard.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    root = Path(args.path)
    if not root.is_dir():
        return fail(f"not a folder: {root}")
    if args.checked_only and not args.crops_to:
        return fail("--checked-only chooses the faces written by --crops-to: give --crops-to DIR too")
    from training.contract.photos import IMAGE_SUFFIXES

    if not _holds_images(root, IMAGE_SUFFIXES, [args.out, args.json, args.crops_to]):
        print(f"error: no images in {root} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})", file=sys.stderr)
        return 2
    from concurrent.futures.process import BrokenProcessPool

    from fer_desktop.labelling.parallel import LabellerStartError
    from fer_desktop.labelling.reuse import OutputBusyError, model_id, model_key, state_path
    from fer_desktop.labelling.rows import unreadable_note
    from fer_desktop.labelling.runs import label_folder
    from fer_desktop.progress import Progress

    model_path, why = chosen_model(args)
    identity = announce_model(model_path, why)
    try:
        labeller = _open_labeller(args, Path(model_path))
    except RuntimeError as exc:  # ModelLoadError, MediaPipe's start-up errors
        return fail(str(exc))
    progress = Progress(0, unit="photo")

    def on_progress(done: int, total: int, _rows) -> None:
        progress.total = total
        progress.update(done)

    try:
        rows, summary = label_folder(
            root,
            labeller,
            model_key=model_key(identity) if identity else model_id(Path(model_path)),
            model=identity,
            checked_only=args.checked_only,
            out_csv=args.out,
            json_out=args.json,
            crops_to=args.crops_to,
            on_progress=on_progress,
            log=lambda msg: print(msg, file=sys.stderr),
            shard=args.shard,
        )
    except (OutputBusyError, LabellerStartError) as exc:
        return fail(str(exc))
    except BrokenProcessPool as exc:
        return fail(f"a labelling process ended unexpectedly ({exc}); nothing was written")
    except OSError as exc:
        return fail(f"{describe_write_error(exc, args.out)} (each output is whole or as it was)")
    finally:
        labeller.close()
    progress.finish(summary.photos)
    print(summary.text(), file=sys.stderr)
    print(f"results written to {args.out}", file=sys.stderr)
    if args.json:
        print(f"JSON written to {args.json}", file=sys.stderr)
    if args.crops_to:
        checked = " (faces a person checked)" if args.checked_only else ""
        print(f"{count(summary.crops, 'face crop')}{checked} written to {args.crops_to}", file=sys.stderr)
        note = leftover_note(args.crops_to) if args.checked_only else None
        if note:
            print(f"note: {note}", file=sys.stderr)
    print(f"bookkeeping for the next run written to {state_path(Path(args.out))}", file=sys.stderr)
    return _report_unreadable(unreadable_note(rows))


def _report_unreadable(note: str | None) -> int:
    """Most files unreadable is worth a line of its own; none readable is a failed run (status 1),
    though the CSV was written (it holds each file's reason)."""
    if note is None:
        return 0
    if note.startswith(("none of", "the file")):
        return fail(note)
    print(f"warning: {note}", file=sys.stderr)
    return 0


def _holds_images(root: Path, suffixes: frozenset[str], outputs: list[str | None]) -> bool:
    """Whether a file ``label`` would read has an image extension (it reads files by content,
    but a folder without a single image file is a wrong folder, not an empty result)."""
    from fer_desktop.labelling.walk import iter_files

    # Lazily: a folder of 100,000 photos is answered at its first image, not after a full walk.
    return any(f.suffix.lower() in suffixes for f in iter_files(root, [Path(p) for p in outputs if p]))


def _open_labeller(args: argparse.Namespace, model_path: Path):
    """This process's labeller, or with ``--jobs N`` a pool of N processes with one each."""
    from fer_desktop.labelling.labeller import open_labeller

    if args.jobs == 1:
        return open_labeller(model_path, not args.no_detect, args.margin, PIPELINE_TF_THREADS)
    from fer_desktop.labelling.parallel import LabellerSpec, ProcessLabeller
    from fer_desktop.models.classifier import checked_model_file

    checked_model_file(model_path)  # a missing or damaged file is named before N processes start
    return ProcessLabeller(LabellerSpec(str(model_path), not args.no_detect, args.margin), args.jobs)
