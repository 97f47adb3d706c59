"""The GUI: what ``fer-desktop`` runs without a command. Its options are the top-level ones."""

from __future__ import annotations

import argparse

from fer_desktop.cli.options import model_arg


def add_options(parser: argparse.ArgumentParser) -> None:
    """The GUI's options, on the top-level parser (the GUI is the command-less default)."""
    parser.add_argument(
        "--source",
        help="for the GUI: a camera index (default: the camera chosen last time, else 0), "
        "a video file, or a folder of images",
    )
    parser.add_argument("--model", help="emotion model (.keras) to use instead of the active one")
    parser.add_argument(
        "--quit-after", type=float, metavar="SECONDS", help="close the GUI after this long (smoke tests)"
    )


def run(args: argparse.Namespace) -> int:
    from fer_desktop.ui.app import run_app

    return run_app(source=args.source, model_path=model_arg(args), quit_after_s=args.quit_after)
