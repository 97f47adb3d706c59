"""``fer-desktop personalize``: fine-tune a model to one person's face from DIR/<emotion>/ photos.

The fine-tune's defaults are read from ``PersonalizeSettings``, as the calibration panel's are.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from fer_desktop.cli.options import (
    ACTIVE_MODEL,
    add_margin,
    add_no_detect,
    announce_model,
    bar_to_total,
    config_default,
    fail,
)
from training.config import PERSONALIZE_METHODS, PersonalizeSettings


def add_parser(subparsers) -> argparse.ArgumentParser:
    personal = subparsers.add_parser(
        "personalize", help="fine-tune a model to one person's face from DIR/<emotion>/ photos"
    )
    personal.add_argument("path", metavar="DIR", help="DIR/<emotion>/… photos of one person (any emotions)")
    personal.add_argument("--out", required=True, metavar="MODEL.keras", help="personalised model to write")
    personal.add_argument("--base", help=f"model to start from (default: {ACTIVE_MODEL})")
    add_no_detect(personal)
    steps = config_default(PersonalizeSettings, "steps")
    personal.add_argument("--steps", type=int, default=steps, help=f"fine-tuning steps (default {steps})")
    lr = config_default(PersonalizeSettings, "learning_rate")
    personal.add_argument("--lr", type=float, default=lr, help=f"learning rate (default {_short(lr)})")
    method = config_default(PersonalizeSettings, "method")
    personal.add_argument(
        "--method",
        choices=PERSONALIZE_METHODS,
        default=method,
        help=f"auto: rest-face when every photo is neutral, a fine-tune otherwise; rest-face: "
        f"offsets learnt from the neutral photos (your resting face) only (default {method})",
    )
    add_margin(personal)
    personal.add_argument(
        "--check",
        metavar="CHECK_DIR",
        help="CHECK_DIR/<emotion>/… other photos of the same person, never trained on: each emotion "
        "trained on is scored on them before and after (the card's check)",
    )
    return personal


def _short(value: float) -> str:
    """A small rate as it is written by hand: 1e-4, not 0.0001."""
    return f"{value:.0e}".replace("e-0", "e-")


def run(args: argparse.Namespace) -> int:
    from fer_desktop.models.catalogue import active_model_path
    from fer_desktop.models.classifier import ModelLoadError
    from fer_desktop.personal.fine_tune import PersonalizeError, personalize_folder

    started = time.monotonic()
    if args.check and not Path(args.check).is_dir():
        return fail(f"{args.check}: no such folder (--check)")
    if args.check and Path(args.check).resolve() == Path(args.path).resolve():
        return fail(f"{args.check}: the check photos must be other photos than those trained on (--check)")
    if args.check:
        from fer_desktop.personal.fine_tune import emotion_folders

        try:
            emotion_folders(Path(args.check))  # a misspelt emotion folder is named, not skipped
        except PersonalizeError as exc:
            return fail(f"{exc} (--check)")
    base, why = (Path(args.base), "named with --base") if args.base else (active_model_path(), ACTIVE_MODEL)
    announce_model(base, why)
    on_photo = bar_to_total("photo")
    on_step = bar_to_total("step", open_now=False)  # opens with the first step, below the photos' bar
    try:
        card = personalize_folder(
            args.path,
            args.out,
            base,
            detect=not args.no_detect,
            margin=args.margin,
            settings=PersonalizeSettings(steps=args.steps, learning_rate=args.lr, method=args.method),
            check_folder=args.check,
            on_photo=on_photo,
            on_step=lambda done, total, _loss: on_step(done, total),
            log=lambda msg: print(msg, file=sys.stderr),
        )
    except (PersonalizeError, ModelLoadError, FloatingPointError, RuntimeError) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot write {args.out}: {exc}")
    calibration = card["calibration"]
    fit = calibration["on_its_photos"]
    print(
        f"{calibration['method']}: on its {fit['n']} photos {fit['accuracy_before']:.1%} before, "
        f"{fit['accuracy_after']:.1%} after",
        file=sys.stderr,
    )
    held = card.get("held_out")
    if held:
        print(
            f"held-out photos ({held['n']}): accuracy {held['accuracy_before']:.1%} before, "
            f"{held['accuracy_after']:.1%} after",
            file=sys.stderr,
        )
    if args.check:
        _print_check(card.get("check"), args.check)
    print(f"personalised model written to {args.out} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


def _print_check(check: dict | None, folder: str) -> None:
    from training.personal_card import check_scores

    if not check:
        print(f"{folder}: no usable photo of the emotions trained on: nothing to check", file=sys.stderr)
        return
    per_emotion = check["per_emotion"].values()
    before, after = (sum(s[key] for s in per_emotion) for key in ("before", "after"))
    print(
        f"check photos ({check['n']}): {before}/{check['n']} right before, {after}/{check['n']} after; "
        + ", ".join(check_scores(check)),
        file=sys.stderr,
    )
