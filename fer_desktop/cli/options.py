"""What several commands share: their common options (declared once), argument types,
the defaults taken from the training config, error reporting and progress bars.

Stdlib and light project modules only: every ``--help`` builds these options.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from training.contract.preprocess import CROP_MARGIN

# A batch of a few faces gains nothing from TensorFlow's thread pools; on two cores they
# only compete with decoding and face detection (measured: ~0.6 s less for 900 frames).
PIPELINE_TF_THREADS = 1

DATA_HELP = "FER2013 folder or csv, or a class-folder tree"


def config_default(config: type, name: str) -> Any:
    """The default of one field of a settings dataclass (``TrainConfig``, ``PersonalizeSettings``),
    so an option's default is read from the config rather than written again beside it."""
    for f in fields(config):
        if f.name == name:
            if f.default is not MISSING:
                return f.default
            if f.default_factory is not MISSING:
                return f.default_factory()
            raise ValueError(f"{config.__name__}.{name} has no default")
    raise KeyError(f"{config.__name__} has no field {name!r}")


# Where a command's model comes from when none is named: said in its --help and when it starts.
ACTIVE_MODEL = "the model last chosen in the app (Train tab, Models), else the shipped one"
SHIPPED_MODEL = "the shipped model, whatever the app uses"


def add_model(
    parser: argparse.ArgumentParser, help: str = f"emotion model (.keras); default: {ACTIVE_MODEL}"
) -> None:
    """A command's ``--model``; its own ``dest`` so that it does not hide the global ``--model``."""
    parser.add_argument("--model", dest="sub_model", help=help)


def add_margin(parser: argparse.ArgumentParser, help: str = "crop margin around each face") -> None:
    parser.add_argument("--margin", type=float, default=CROP_MARGIN, help=f"{help} (default {CROP_MARGIN})")


def add_no_detect(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-detect", action="store_true", help="every image is already a face crop")


def add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help=DATA_HELP)


def add_verbose(parser: argparse.ArgumentParser) -> None:
    """``--verbose`` after a command too (``fer-desktop train ... --verbose``); SUPPRESS keeps the
    global option's value when the command's is not given."""
    parser.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help="as above")


def fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is less than 1")
    return value


def fail(message: str) -> int:
    """Report an error the user can act on; exit status 1."""
    print(f"error: {message}", file=sys.stderr)
    return 1


def model_arg(args: argparse.Namespace) -> Path | None:
    """The model chosen on the command line: the command's ``--model``, else the global one."""
    chosen = getattr(args, "sub_model", None) or args.model
    return Path(chosen) if chosen else None


def chosen_model(args: argparse.Namespace, default: str = ACTIVE_MODEL) -> tuple[Path, str]:
    """The model a command uses and why: named on the command line, else ``default``
    (``ACTIVE_MODEL`` or ``SHIPPED_MODEL``)."""
    named = model_arg(args)
    if named is not None:
        return named, "named with --model"
    if default == SHIPPED_MODEL:
        from fer_desktop.paths import default_model_path

        return default_model_path(), default
    from fer_desktop.models.catalogue import active_model_path

    return active_model_path(), default


def announce_model(path: Path, why: str):
    """Say on stderr which model answers, before any work: ``model: fer_default (sha 1a2b3c4d), …``.

    Returns its ``ModelIdentity`` for the outputs to record, or None for a file that cannot be
    read (the loader then says what is wrong with it).
    """
    from training.contract.model_file import model_identity

    try:
        identity = model_identity(path)
    except OSError:
        print(f"model: {path} ({why})", file=sys.stderr)
        return None
    print(f"model: {identity.describe()}, {why}: {path}", file=sys.stderr)
    return identity


def bar_to_total(unit: str, total: int = 0, *, open_now: bool = True) -> Callable[..., None]:
    """A callback ``(done, total=None)`` that feeds one progress bar and closes it when ``done``
    reaches the total (given here or by each call). ``open_now=False`` opens the bar at the first
    call, so that it is drawn below a bar opened before it."""
    from fer_desktop.progress import Progress

    bars: list[Progress] = [Progress(total, unit=unit)] if open_now else []

    def update(done: int, new_total: int | None = None) -> None:
        goal = total if new_total is None else new_total
        if not bars:
            bars.append(Progress(goal, unit=unit))
        bars[0].total = goal
        bars[0].update(done)
        if done >= goal:
            bars[0].finish(done)

    return update
