"""Photos/s of ``fer-desktop label`` on 640x480 JPEGs with one face each, for ``--jobs 1`` and ``2``.

    .venv/bin/python -m bench.bench_label [--photos 300] [--runs 3] [--jobs 1 2]

Each run labels the folder into a new CSV (no reuse of earlier results); runs of
the ``--jobs`` values alternate, so a change in the machine's load touches them
alike.  Prints the labelling rate the command reports (photos/s inside the run:
with ``--jobs N`` that includes starting the N processes) and the whole-process
rate, with medians per ``--jobs`` value.  Target: 40 photos/s or more on the
2-core dev machine.
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

from bench.make_inputs import write_face_photos


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to compare")
    args = parser.parse_args()
    inner: dict[int, list[float]] = {j: [] for j in args.jobs}
    whole: dict[int, list[float]] = {j: [] for j in args.jobs}
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_face_photos(Path(tmp) / "photos", args.photos)
        for run in range(args.runs):
            for jobs in args.jobs:
                measured = label_once(folder, Path(tmp) / f"run{run}-jobs{jobs}.csv", jobs)
                if measured is None:
                    return 1
                rate, elapsed, faces = measured
                inner[jobs].append(rate)
                whole[jobs].append(args.photos / elapsed)
                print(
                    f"run {run + 1}, --jobs {jobs}: {rate:.1f} photos/s labelling, "
                    f"{args.photos / elapsed:.1f} photos/s whole process ({elapsed:.1f} s), "
                    f"{faces} faces found"
                )
    for jobs in args.jobs:
        print(
            f"--jobs {jobs}: median labelling rate: {statistics.median(inner[jobs]):.1f} photos/s; "
            f"whole process incl. start-up: {statistics.median(whole[jobs]):.1f} photos/s "
            f"({args.photos} photos)"
        )
    return 0


def label_once(folder: Path, out: Path, jobs: int) -> tuple[float, float, int] | None:
    """(labelling rate the command reports, wall-clock seconds, faces found), or None if it failed."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "label", str(folder), "--out", str(out), "--jobs", str(jobs)],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return None
    rate = float(re.search(r"\(([\d.]+) photos/s\)", proc.stderr).group(1))
    faces = int(re.search(r"(\d+) faces", proc.stderr).group(1))
    return rate, elapsed, faces


if __name__ == "__main__":
    raise SystemExit(main())
