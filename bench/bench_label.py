"""Photos/s of ``fer-desktop label`` on 640x480 JPEGs with one face each.

    .venv/bin/python bench/bench_label.py [--photos 300] [--runs 3]

Each run labels a fresh copy of the folder into a new CSV (no reuse of
earlier results).  Prints the labelling rate the command reports (photos/s
inside the run, after start-up) and the whole-process rate, with medians.
Target: 40 photos/s or more on the 2-core dev machine.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.make_inputs import write_face_photos


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    inner, whole = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_face_photos(Path(tmp) / "photos", args.photos)
        for run in range(args.runs):
            out = Path(tmp) / f"run{run}.csv"
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "fer_desktop", "label", str(folder), "--out", str(out)],
                capture_output=True,
                text=True,
            )
            elapsed = time.perf_counter() - start
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
            rate = float(re.search(r"\(([\d.]+) photos/s\)", proc.stderr).group(1))
            faces = int(re.search(r"(\d+) faces", proc.stderr).group(1))
            inner.append(rate)
            whole.append(args.photos / elapsed)
            print(
                f"run {run + 1}: {rate:.1f} photos/s labelling, {args.photos / elapsed:.1f} photos/s "
                f"whole process ({elapsed:.1f} s), {faces} faces found"
            )
    print(
        f"median labelling rate: {statistics.median(inner):.1f} photos/s; "
        f"whole process incl. start-up: {statistics.median(whole):.1f} photos/s ({args.photos} photos)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
