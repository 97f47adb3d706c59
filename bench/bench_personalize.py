"""How much personal calibration helps, and what it costs elsewhere.

    .venv/bin/python -m bench.bench_personalize [--k 1 3 5] [--films N] [--min-frames 15]

Simulates users with ``../shared/data/sfew_dev`` grouped by film (a film's
frames are its "person": same actors, light and camera): personalise the base
model on K frames per emotion of a film (emotions with more than K frames),
test on that film's other frames, and report the mean accuracy before/after
over films, the time per run, and forgetting: FER2013 PublicTest accuracy
before and after personalising, also after personalising on a single emotion
(the film's most frequent one).  Faces are found and cropped as ``personalize``
does (``--no-detect``: the dataset's crops as they are).  The personalised
models are thrown away: sfew_dev is for evaluation only, never for shipped
weights.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

# <film>_<frame number>_<face number>.png; a few films use "-" before the frame number.
FILM_NAME = re.compile(r"^(?P<film>.+?)[_-]\d{6,}_+\d+\.\w+$")


def film_of(file_name: str) -> str | None:
    match = FILM_NAME.match(file_name)
    return match.group("film") if match else None


def load_faces(root: Path, detect: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Crops, labels and film names of every image whose face is found."""
    from fer_desktop.personal.fine_tune import collect_photos
    from fer_desktop.pipeline.faces import CROP_MARGIN, FaceDetector

    detector = FaceDetector() if detect else None
    try:
        photos = collect_photos(root, detector, CROP_MARGIN)
    finally:
        if detector is not None:
            detector.close()
    print(photos.summary(), file=sys.stderr)
    films = [film_of(Path(p).name) or "?" for p in photos.paths]
    return photos.images, photos.labels, films


def pick(labels: np.ndarray, index: np.ndarray, k: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """K frames of each emotion that has more than K in ``index``; the rest are for testing."""
    train = []
    for c in np.unique(labels[index]):
        idx = index[labels[index] == c]
        if len(idx) > k:
            train.extend(rng.choice(idx, k, replace=False).tolist())
    train_idx = np.asarray(sorted(train), dtype=np.int64)
    return train_idx, np.setdiff1d(index, train_idx)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/sfew_dev"))
    parser.add_argument("--fer2013", default=str(ROOT.parent / "shared/data/fer2013"))
    parser.add_argument("--model", help="base model (default: the shipped model)")
    parser.add_argument("--k", type=int, nargs="+", default=[1, 3, 5])
    parser.add_argument("--min-frames", type=int, default=15, help="films with at least this many faces")
    parser.add_argument("--films", type=int, help="only the N largest films")
    parser.add_argument("--no-detect", action="store_true", help="use the dataset's crops as they are")
    parser.add_argument(
        "--forgetting-runs", type=int, default=3, help="PublicTest after this many runs per K"
    )
    parser.add_argument("--public-n", type=int, help="only the first N PublicTest images (quicker)")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--layers", choices=["all", "bn_head"])
    parser.add_argument("--distill", type=float, help="weight of the distillation term")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--mix", type=float, help="share of the fine-tuned weights kept")
    parser.add_argument("--bn-train", action="store_true", help="let batch-norm statistics adapt")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from fer_desktop.paths import default_model_path
    from training import datasets
    from training.config import PersonalizeSettings
    from training.model import load_model
    from training.personalize import accuracy, personalize_model

    settings = PersonalizeSettings()
    overrides = {"steps": args.steps, "learning_rate": args.lr, "layers": args.layers,
                 "distill_weight": args.distill, "batch_size": args.batch_size, "mix": args.mix}  # fmt: skip
    for name, value in overrides.items():
        if value is not None:
            setattr(settings, name, value)
    settings.freeze_bn_stats = not args.bn_train
    print(f"settings: {settings.as_dict()}")
    base_path = Path(args.model) if args.model else default_model_path()
    base = load_model(base_path)
    images, labels, films = load_faces(Path(args.data), detect=not args.no_detect)
    by_film: dict[str, list[int]] = defaultdict(list)
    for i, film in enumerate(films):
        by_film[film].append(i)
    chosen = sorted(
        (f for f, idx in by_film.items() if len(idx) >= args.min_frames), key=lambda f: -len(by_film[f])
    )
    chosen = chosen[: args.films] if args.films else chosen
    print(f"{len(chosen)} films with >= {args.min_frames} faces: {', '.join(chosen)}")
    public = datasets.load_kaggle_folders(args.fer2013, "public")
    if args.public_n:
        # A random subset: the loader returns the images sorted by class.
        keep = np.random.default_rng(args.seed).permutation(len(public))[: args.public_n]
        public = public.subset(np.sort(keep))
    public_before = accuracy(base, public.images, public.labels)
    print(f"FER2013 PublicTest ({len(public)} images), base model: {public_before:.1%}")

    def forgetting(model) -> float:
        return 100 * (public_before - accuracy(model, public.images, public.labels))

    rng = np.random.default_rng(args.seed)
    rows = []
    for k in args.k:
        befores, afters, times, drops = [], [], [], []
        for n, film in enumerate(chosen):
            index = np.asarray(by_film[film])
            train_idx, test_idx = pick(labels, index, k, rng)
            if len(np.unique(labels[train_idx])) == 0 or len(test_idx) < 5:
                continue
            result = personalize_model(base, images[train_idx], labels[train_idx], settings)
            before = accuracy(base, images[test_idx], labels[test_idx])
            after = accuracy(result.model, images[test_idx], labels[test_idx])
            drop = forgetting(result.model) if n < args.forgetting_runs else float("nan")
            befores.append(before), afters.append(after), times.append(result.wall_time_s), drops.append(drop)
            print(
                f"K={k} {film}: {len(train_idx)} photos ({len(np.unique(labels[train_idx]))} emotions), "
                f"{len(test_idx)} test frames: {before:.1%} -> {after:.1%} in {result.wall_time_s:.1f} s"
                + ("" if np.isnan(drop) else f"; PublicTest drop {drop:+.1f} points"),
                flush=True,
            )
        measured = [d for d in drops if not np.isnan(d)]
        rows.append((f"K={k}", len(befores), np.mean(befores), np.mean(afters), statistics.median(times),
                     max(measured) if measured else float("nan")))  # fmt: skip

    drops_single, gains_single = [], []
    for film in chosen[: max(args.forgetting_runs, 1)]:
        index = np.asarray(by_film[film])
        top = np.bincount(labels[index]).argmax()
        idx = index[labels[index] == top]
        train_idx = rng.choice(idx, min(3, len(idx) - 1), replace=False)
        result = personalize_model(base, images[train_idx], labels[train_idx], settings)
        test_idx = np.setdiff1d(index, train_idx)
        before = accuracy(base, images[test_idx], labels[test_idx])
        after = accuracy(result.model, images[test_idx], labels[test_idx])
        drops_single.append(forgetting(result.model))
        gains_single.append(after - before)
        print(f"one emotion ({len(train_idx)} x emotion {top}) {film}: {before:.1%} -> {after:.1%}; "
              f"PublicTest drop {drops_single[-1]:+.1f} points", flush=True)  # fmt: skip

    print()
    print(
        f"base model {base_path.name}; PublicTest before {public_before:.1%}; settings {settings.as_dict()}"
    )
    print("| run | films | accuracy before | after | median time per run | worst PublicTest drop |")
    print("|---|---|---|---|---|---|")
    for name, n, before, after, t, drop in rows:
        print(f"| {name} per emotion | {n} | {before:.1%} | {after:.1%} | {t:.1f} s | {drop:+.1f} points |")
    print(f"| one emotion (3 photos) | {len(drops_single)} | gain {np.mean(gains_single):+.1%} | | | "
          f"{max(drops_single):+.1f} points |")  # fmt: skip
    return 0


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"total {time.monotonic() - started:.0f} s", file=sys.stderr)
    raise SystemExit(code)
