"""One table that judges a model on everything at once, or several models side by side.

    .venv/bin/python -m bench.bench_models [--model A.keras --model B.keras] [--markdown OUT.md]

Rows: FER2013 PublicTest and PrivateTest accuracy (single crop, FER2013's
labels); sfew_dev (in-the-wild film stills, evaluation only) classified as the
given crops and end to end with ``--detect`` (faces found and cropped as
``fer-desktop label`` does; a photo without a face is wrong); on sfew_dev, the
worst share ratio (predicted share / true share of the most over-predicted
class) and neutral recall; macro-F1; and the per-face inference time on the
app's runtime (the TFLite copy through ``open_classifier`` when the model has
a current one, else TensorFlow; median of single-face calls).  The figures are
those of ``fer-desktop eval`` (the same functions).  Data default to
``../shared/data`` beside the repository.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DATA = ROOT.parent / "shared" / "data"


def load_inputs(fer2013: Path, sfew: Path, limit: int | None):
    """Every evaluation input, loaded once for all models (face detection does not depend on them)."""
    import numpy as np

    from fer_desktop.labelling.detected_faces import detect_labelled_faces
    from fer_desktop.pipeline.faces import FaceDetector
    from training import datasets

    def first(data):  # a fixed random sample: the loaders return images grouped by class
        if limit is None or limit >= len(data):
            return data
        return data.subset(np.sort(np.random.default_rng(0).permutation(len(data))[:limit]))

    inputs = {
        "public": first(datasets.load_any(fer2013, "public")),
        "private": first(datasets.load_any(fer2013, "private")),
        "sfew": datasets.load_any(sfew, "all"),
    }
    with FaceDetector() as detector:
        detected = detect_labelled_faces(sfew, "all", detector)
    return inputs, detected


def per_face_ms(model_path: Path, face, calls: int) -> tuple[float, str]:
    """Median milliseconds of one single-face call on the runtime the app would use."""
    from fer_desktop.models.classifier import open_classifier

    classifier = open_classifier(model_path)
    try:
        for _ in range(10):  # warm-up
            classifier.predict([face])
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            classifier.predict([face])
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000, classifier.runtime
    finally:
        classifier.close()


def percent_correct(report: dict) -> str:
    """Accuracy from the report's counts: its ``accuracy`` is rounded to 4 places, and rounding
    that again can be a tenth off (2489 of 3589 = 69.35% would print as 69.3%)."""
    correct = sum(row[i] for i, row in enumerate(report["confusion_matrix"]))
    return f"{correct / report['n']:.1%}"


def measure(model_path: Path, inputs, detected, calls: int) -> dict[str, str]:
    from fer_desktop.models.classifier import load_checked_model
    from training.evaluate import evaluate_arrays

    model = load_checked_model(model_path)
    public = evaluate_arrays(model, inputs["public"].images, inputs["public"].labels)
    private = evaluate_arrays(model, inputs["private"].images, inputs["private"].labels)
    crops = evaluate_arrays(model, inputs["sfew"].images, inputs["sfew"].labels)
    faces = detected.faces
    end_to_end = evaluate_arrays(model, faces.images, faces.labels, no_face=detected.no_face)
    ms, runtime = per_face_ms(model_path, inputs["sfew"].images[0], calls)

    def worst(report) -> str:
        return f"{report['worst_share_ratio']:.2f} ({report['most_overpredicted']})"

    return {
        "FER2013 PublicTest accuracy": percent_correct(public),
        "FER2013 PrivateTest accuracy": percent_correct(private),
        "FER2013 PrivateTest macro-F1": f"{private['macro_f1']:.3f}",
        "sfew_dev crops accuracy": percent_correct(crops),
        "sfew_dev --detect accuracy": f"{percent_correct(end_to_end)} ({end_to_end['no_face']} no face)",
        "sfew_dev crops worst share ratio": worst(crops),
        "sfew_dev --detect worst share ratio": worst(end_to_end),
        "sfew_dev crops neutral recall": f"{crops['per_class']['neutral']['recall']:.2f}",
        "sfew_dev --detect neutral recall": f"{end_to_end['per_class']['neutral']['recall']:.2f}",
        "sfew_dev crops macro-F1": f"{crops['macro_f1']:.3f}",
        "sfew_dev --detect macro-F1": f"{end_to_end['macro_f1']:.3f}",
        "per-face inference (median)": f"{ms:.2f} ms ({runtime})",
    }


def column_names(models: list[Path]) -> list[str]:
    """File names, or the whole path where two models share a name (runs/*/model.keras)."""
    names = [m.name for m in models]
    return [str(m) if names.count(m.name) > 1 else m.name for m in models]


def text_table(columns: list[str], results: list[dict[str, str]]) -> str:
    rows = list(results[0])
    first = max(len(r) for r in rows)
    widths = [max(len(c), *(len(r[k]) for k in rows)) for c, r in zip(columns, results, strict=True)]
    lines = [" " * first + "".join(f"  {c:>{w}}" for c, w in zip(columns, widths, strict=True))]
    for k in rows:
        lines.append(
            f"{k:<{first}}" + "".join(f"  {r[k]:>{w}}" for r, w in zip(results, widths, strict=True))
        )
    return "\n".join(lines)


def markdown_table(columns: list[str], results: list[dict[str, str]]) -> str:
    lines = ["| | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for k in results[0]:
        lines.append(f"| {k} | " + " | ".join(r[k] for r in results) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", action="append", type=Path, help="a .keras model (repeat to compare)")
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder holding fer2013/ and sfew_dev/"
    )
    parser.add_argument("--fer2013", type=Path, help="FER2013 (default DATA/fer2013)")
    parser.add_argument("--sfew", type=Path, help="sfew_dev class folders (default DATA/sfew_dev)")
    parser.add_argument("--calls", type=int, default=200, help="single-face calls timed per model")
    parser.add_argument(
        "--limit", type=int, help="only the first N images of each FER2013 split (quick checks)"
    )
    parser.add_argument("--markdown", type=Path, help="also write the table as markdown here")
    args = parser.parse_args()

    from fer_desktop.paths import default_model_path
    from training.contract.atomic import write_text

    models = args.model or [default_model_path()]
    missing = [m for m in models if not m.is_file()]
    if missing:
        print(f"error: model file not found: {', '.join(map(str, missing))}", file=sys.stderr)
        return 1
    started = time.monotonic()
    inputs, detected = load_inputs(
        args.fer2013 or args.data / "fer2013", args.sfew or args.data / "sfew_dev", args.limit
    )
    results = [measure(m, inputs, detected, args.calls) for m in models]
    columns = column_names(models)
    print(text_table(columns, results))
    print(
        f"(FER2013 n = {len(inputs['public'])} + {len(inputs['private'])}; "
        f"sfew_dev n = {len(inputs['sfew'])} crops, {detected.photos} photos with --detect; "
        f"{time.monotonic() - started:.0f} s)"
    )
    if args.markdown:
        write_text(args.markdown, markdown_table(columns, results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
