"""Accuracy of an architecture after a short training run on a subset of FER2013.

    .venv/bin/python -m bench.short_run --arch efficientnetb2 --train-images 3000 --epochs 2

A full epoch of the seed's EfficientNetB2 takes most of an hour on a 2-core CPU, so
its cost and its early accuracy are measured on a random subset of
Training, validated on part of PublicTest and scored at the end on all of
PublicTest (PrivateTest is not touched).  It runs ``training.fit.train``, the
routine of ``fer-desktop train``, with the same augmentation and schedule.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def random_subset(data, n: int, seed: int):
    """``n`` images drawn at random (each class in about its own proportion)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    keep = rng.permutation(len(data))[:n]
    return data.subset(np.sort(keep))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "fer2013"))
    parser.add_argument("--arch", default="efficientnetb2")
    parser.add_argument("--width", type=int, default=32, help="width of a vgg model")
    parser.add_argument("--train-images", type=int, default=3000)
    parser.add_argument("--val-images", type=int, default=600, help="PublicTest images validated per epoch")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (the seed used Adam 1e-3)")
    parser.add_argument("--out", default=str(ROOT / "runs" / "short_run"))
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    from training import datasets
    from training.config import TrainConfig
    from training.data_prep import PreparedData
    from training.evaluate import evaluate_arrays
    from training.fit import train
    from training.model import load_model

    started = time.monotonic()
    train_all = datasets.load_any(args.data, "train")
    public = datasets.load_any(args.data, "public")
    train_part = random_subset(train_all, args.train_images, args.seed)
    val_part = random_subset(public, args.val_images, args.seed)
    config = TrainConfig(
        data=args.data,
        out=args.out,
        arch=args.arch,
        width=args.width,
        epochs=args.epochs,
        patience=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        seed=args.seed,
    )
    prepared = PreparedData(
        train_part,
        val_part,
        {},
        args.data,
        {"train": f"{args.train_images} of Training", "val": f"{args.val_images} of PublicTest"},
    )
    loaded = time.monotonic()
    card = train(config, data=prepared)
    trained = time.monotonic()
    report = evaluate_arrays(load_model(Path(args.out) / "model.keras"), public.images, public.labels)
    done = time.monotonic()
    history = card["training"]["history"]
    print(f"arch {args.arch}: {card['params']} parameters, {card['architecture']}")
    print(
        f"data loading {loaded - started:.0f} s; training {trained - loaded:.0f} s for {args.epochs} "
        f"epochs of {args.train_images} images (validation on {args.val_images} included)"
    )
    print("val accuracy per epoch: " + ", ".join(f"{v:.3f}" for v in history.get("val_accuracy", [])))
    print(
        f"PublicTest (all {report['n']}): accuracy {report['accuracy']:.4f}, "
        f"macro F1 {report['macro_f1']:.4f}, worst share ratio {report['worst_share_ratio']} "
        f"({report['most_overpredicted']}); scored in {done - trained:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
