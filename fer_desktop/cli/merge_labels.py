"""``fer-desktop merge-labels``: join the CSVs of ``label --shard K/N`` runs into one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fer_desktop.cli.options import fail
from fer_desktop.write_errors import describe_write_error
from training.contract.wording import count


def add_parser(subparsers) -> argparse.ArgumentParser:
    merge = subparsers.add_parser(
        "merge-labels", help="join the CSVs of `label --shard K/N` runs into the CSV of the whole folder"
    )
    merge.add_argument("out", metavar="OUT.csv", help="CSV to write")
    merge.add_argument("parts", nargs="+", metavar="PART.csv", help="the parts' CSVs (any order)")
    return merge


def run(args: argparse.Namespace) -> int:
    from fer_desktop.labelling.merge import MergeError, merge_label_csvs
    from fer_desktop.labelling.reuse import OutputBusyError, state_path

    try:
        rows, no_state = merge_label_csvs(args.out, args.parts)
    except (MergeError, OutputBusyError) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"{describe_write_error(exc, args.out)} ({args.out} is whole or as it was)")
    parts = count(len(args.parts), "part")
    print(f"{count(rows, 'row')} from {parts} written to {args.out}", file=sys.stderr)
    if no_state:
        print(f"a later `label --out {args.out}` will label every photo again: {no_state}", file=sys.stderr)
    else:
        print(f"bookkeeping for the next run written to {state_path(Path(args.out))}", file=sys.stderr)
    return 0
