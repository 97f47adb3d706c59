"""``fer-desktop train``: train an emotion model.

Every option with a default reads it from ``TrainConfig``, the one home of the training
defaults (the Train tab reads the same fields).
"""

from __future__ import annotations

import argparse
import time
from functools import partial
from pathlib import Path

from fer_desktop.cli.options import add_data, config_default, fail, fraction
from training.architectures import ARCHITECTURES
from training.config import TrainConfig
from training.contract.wording import count

default = partial(config_default, TrainConfig)


def add_parser(subparsers) -> argparse.ArgumentParser:
    train = subparsers.add_parser("train", help="train an emotion model")
    add_data(train)
    train.add_argument(
        "--extra-data",
        action="append",
        default=default("extra_data"),
        help="another class-folder tree to mix in",
    )
    train.add_argument("--epochs", type=int, default=default("epochs"))
    train.add_argument("--batch-size", type=int, default=default("batch_size"))
    train.add_argument("--lr", type=float, default=default("learning_rate"), help="peak learning rate")
    train.add_argument("--width", type=int, default=default("width"), help="channel width of a new model")
    train.add_argument("--init", help="start from this .keras model instead of from scratch")
    train.add_argument(
        "--arch",
        choices=ARCHITECTURES,
        default=default("arch"),
        help=f"architecture of a new model (default {default('arch')}; "
        "efficientnetb2 is the seed notebook's model)",
    )
    train.add_argument(
        "--weights", metavar="PATH", help="local weights file for the efficientnetb2 body (never downloaded)"
    )
    train.add_argument("--out", help="output folder (default: a new folder in the per-user models folder)")
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="let --out be a non-empty folder (replaces its model)",
    )
    train.add_argument("--seed", type=int, default=default("seed"))
    train.add_argument(
        "--max-minutes",
        type=float,
        default=default("max_minutes"),
        help="stop at an epoch boundary after this long",
    )
    train.add_argument(
        "--patience",
        type=int,
        default=default("patience"),
        help="epochs without a better validation accuracy before stopping",
    )
    train.add_argument(
        "--weight-decay", type=float, default=default("weight_decay"), help="AdamW's decoupled weight decay"
    )
    train.add_argument(
        "--random-erasing",
        type=fraction,
        default=default("random_erasing"),
        metavar="P",
        help="share of training images (0-1) with a random rectangle replaced by noise",
    )
    _add_targets(train)
    train.add_argument(
        "--augmentation",
        choices=["basic", "app"],
        default=default("augmentation"),
        help="basic: flips and small shifts; app: also lighting, blur, noise and wider framing jitter",
    )
    train.add_argument("--ferplus", help="FER+ votes file fer2013new.csv (for --labels ferplus-*)")
    train.add_argument("--manifest", help="manifest.csv mapping image files to fer2013.csv rows")
    train.add_argument(
        "--skip-bad", action="store_true", help="skip unreadable/malformed data instead of stopping"
    )
    train.add_argument(
        "--keep-test-duplicates",
        action="store_true",
        help="keep training images that also appear in validation/test (not recommended)",
    )
    return train


def _add_targets(train: argparse.ArgumentParser) -> None:
    """Where the training targets come from: the label source and the teachers."""
    train.add_argument(
        "--labels",
        choices=["fer2013", "ferplus-majority", "ferplus-soft", "mixed"],
        default=default("labels"),
        help="label source for FER2013's training split (validation keeps FER2013's labels); "
        "mixed blends FER2013's label with the FER+ votes",
    )
    train.add_argument(
        "--ferplus-weight",
        type=fraction,
        default=default("ferplus_weight"),
        metavar="W",
        help="with --labels mixed: the FER+ votes' share of each training target "
        f"(default {default('ferplus_weight')})",
    )
    train.add_argument(
        "--teacher",
        action="append",
        default=default("teachers"),
        metavar="MODEL",
        help="distil from this model (repeat for several: their mirrored predictions are averaged)",
    )
    train.add_argument(
        "--teacher-weight",
        type=fraction,
        default=default("teacher_weight"),
        metavar="W",
        help="with --teacher: the teachers' share of each training target "
        f"(default {default('teacher_weight')})",
    )


def config_from(args: argparse.Namespace, out: str) -> TrainConfig:
    """The run's ``TrainConfig`` from the parsed options."""
    return TrainConfig(
        data=args.data,
        out=out,
        extra_data=args.extra_data,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        width=args.width,
        init=args.init,
        seed=args.seed,
        max_minutes=args.max_minutes,
        patience=args.patience,
        weight_decay=args.weight_decay,
        random_erasing=args.random_erasing,
        labels=args.labels,
        ferplus_weight=args.ferplus_weight,
        augmentation=args.augmentation,
        ferplus=args.ferplus,
        manifest=args.manifest,
        on_error="skip" if args.skip_bad else "raise",
        exclude_test_overlap=not args.keep_test_duplicates,
        arch=args.arch,
        backbone_weights=args.weights,
        teachers=args.teacher,
        teacher_weight=args.teacher_weight,
    )


def run(args: argparse.Namespace) -> int:
    from fer_desktop.paths import user_models_dir
    from training.cluster import ClusterConfigError, WorkerLostError, cluster_role
    from training.contract.model_file import ModelFileError, check_model_file
    from training.datasets import DatasetError
    from training.fit import train

    try:
        role = cluster_role()
    except ClusterConfigError as exc:
        return fail(str(exc))
    if role.multi_worker and args.max_minutes:
        return fail("--max-minutes cannot be used with several workers (each would stop on its own clock)")
    if args.init and args.arch != "vgg":
        return fail("--arch builds a new model; --init continues the given model's own architecture")
    if args.weights and args.arch != "efficientnetb2":
        return fail("--weights is for --arch efficientnetb2 only")
    if args.weights and not Path(args.weights).is_file():
        return fail(f"weights file not found: {args.weights}")
    out = args.out or str(user_models_dir() / time.strftime("model-%Y%m%d-%H%M%S"))
    # Only the chief writes --out; the others must not refuse (or create) a folder it fills.
    if role.is_chief and args.out and not args.overwrite and _holds_files(Path(out)):
        return fail(f"--out {out} is not empty (an earlier model?): pick another or add --overwrite")
    config = config_from(args, out)
    for teacher in args.teacher:
        try:
            check_model_file(teacher)
        except ModelFileError as exc:
            return fail(f"--teacher: {exc}")
    try:
        card = train(config, role=role)
    except (DatasetError, FloatingPointError, OSError, ModelFileError, WorkerLostError) as exc:
        return fail(str(exc))
    if not role.is_chief:
        epochs = card["training"]["epochs_run"]
        print(f"{role.describe()}: {count(epochs, 'epoch')} done; the chief writes the model")
        return 0
    for split, report in card["evaluation"].items():
        print(f"{split}: accuracy {report['accuracy']:.4f} (n={report['n']})")
    print(f"model written to {Path(out) / 'model.keras'}")
    return 0


def _holds_files(folder: Path) -> bool:
    return folder.exists() and (not folder.is_dir() or any(folder.iterdir()))
