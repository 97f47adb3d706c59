"""``fer-desktop`` command line: the GUI by default, plus one module per command.

Each command module has ``add_parser(subparsers)`` and ``run(args) -> int``; options that
several commands share live in ``options``. Heavy modules (TensorFlow, MediaPipe, Qt) are
imported inside the command that needs them, so ``--help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import argparse
import sys

from fer_desktop import __version__, console
from fer_desktop.cli import eval as eval_command
from fer_desktop.cli import gui, label, merge_labels, personalize, train, video
from fer_desktop.cli.options import add_verbose

# In the order `fer-desktop --help` lists them.
COMMANDS = {
    "video": video,
    "label": label,
    "merge-labels": merge_labels,
    "train": train,
    "personalize": personalize,
    "eval": eval_command,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fer-desktop",
        description="Facial emotion recognition: live webcam app, video analysis, training and evaluation.",
    )
    parser.add_argument("--version", action="version", version=f"fer-desktop {__version__}")
    gui.add_options(parser)
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's, absl's and LiteRT's own log lines"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        add_verbose(module.add_parser(subparsers))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # TensorFlow's and MediaPipe's start-up chatter is noise to users. Native output is filtered
    # only for a headless command run as the program (not main([...]) called by a test or a
    # script: its stderr is its caller's), never for the GUI (see fer_desktop/console.py).
    native = console.configure(args.verbose, filter_native=argv is None and args.command is not None)
    run = COMMANDS[args.command].run if args.command else gui.run
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if native is not None:
            native.uninstall()
