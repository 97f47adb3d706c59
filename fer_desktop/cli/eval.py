"""``fer-desktop eval``: evaluate a model on a dataset split."""

from __future__ import annotations

import argparse
from pathlib import Path

from fer_desktop.cli.options import (
    SHIPPED_MODEL,
    add_data,
    add_margin,
    add_model,
    announce_model,
    bar_to_total,
    chosen_model,
    fail,
)
from fer_desktop.write_errors import describe_write_error


def add_parser(subparsers) -> argparse.ArgumentParser:
    ev = subparsers.add_parser("eval", help="evaluate a model on a dataset split")
    add_data(ev)
    ev.add_argument(
        "--split",
        choices=["public", "private", "test", "train", "all"],
        help="default: private for FER2013 (folders or csv), all for a class-folder tree",
    )
    ev.add_argument(
        "--detect",
        action="store_true",
        help="find and crop faces as `label` does (largest face per photo; no face = wrong)",
    )
    add_margin(ev, help="crop margin with --detect")
    add_model(ev, help=f"model to evaluate (default: {SHIPPED_MODEL})")
    ev.add_argument("--tta", action="store_true", help="also average with the mirrored image")
    ev.add_argument("--json", help="write the report as JSON here")
    ev.add_argument("--skip-bad", action="store_true", help="skip unreadable/malformed data")
    return ev


def run(args: argparse.Namespace) -> int:
    from fer_desktop.models.classifier import ModelLoadError, load_checked_model
    from training import datasets
    from training.contract import atomic
    from training.evaluate import evaluate_arrays, format_report

    model_path, why = chosen_model(args, SHIPPED_MODEL)  # the shipped model, whatever is active
    identity = announce_model(model_path, why)
    split = args.split or datasets.default_split(args.data)
    on_error = "skip" if args.skip_bad else "raise"
    no_face, extra = None, {}
    try:
        if args.detect:
            found = _detect_faces(args.data, split, args.margin, on_error)
            data, no_face = found.faces, found.no_face
            extra = {"detect": True, "margin": args.margin, "no_face_photos": found.no_face_paths}
        else:
            data = datasets.load_any(args.data, split, on_error)
        if len(data) == 0 and not (no_face is not None and no_face.sum()):
            return fail(f"{args.data}: no images in split {split!r}")
        model = load_checked_model(Path(model_path))
    except (datasets.DatasetError, ModelLoadError, RuntimeError) as exc:
        return fail(str(exc))
    report = evaluate_arrays(model, data.images, data.labels, no_face=no_face, on_progress=_bar(len(data)))
    report.update(split=split, model=str(model_path), data=str(args.data), **extra)
    if identity is not None:
        report.update(identity.record())
    print(f"model {model_path}, split {split}" + (", faces detected as `label` does" if args.detect else ""))
    print(format_report(report))
    if args.tta:
        tta = evaluate_arrays(
            model, data.images, data.labels, tta=True, no_face=no_face, on_progress=_bar(len(data))
        )
        report["tta"] = {k: tta[k] for k in ("accuracy", "n", "macro_f1", "per_class", "confusion_matrix")}
        print(f"with TTA (mirror average): accuracy {tta['accuracy']:.4f}")
    if args.json:
        try:
            atomic.write_json(args.json, report)
        except OSError as exc:
            return fail(describe_write_error(exc, args.json))
    return 0


def _bar(total: int):
    """A progress bar over ``total`` images, closed when the last is done (none for no images)."""
    return bar_to_total("image", total) if total else None


def _detect_faces(data: str, split: str, margin: float, on_error: str):
    """The split's photos through `label`'s decoding, face detection and cropping."""
    from fer_desktop.labelling.detected_faces import detect_labelled_faces
    from fer_desktop.pipeline.faces import FaceDetector
    from fer_desktop.progress import Progress

    progress = Progress(0, unit="photo")

    def on_progress(done: int, total: int) -> None:
        progress.total = total
        progress.update(done)

    with FaceDetector() as detector:
        found = detect_labelled_faces(data, split, detector, margin, on_error, on_progress)
    progress.finish(found.photos)
    return found
