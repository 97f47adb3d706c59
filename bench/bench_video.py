"""Time ``fer-desktop video`` on a 30-second 640x480 one-face video (900 frames).

The figure is the whole process, start-up included, as a user runs it:

    .venv/bin/python -m bench.bench_video [--runs 5] [--annotated]

``--annotated`` also writes the annotated video (``video --annotated out.mp4``), to measure
what drawing and encoding every frame costs. The command runs ``python -m fer_desktop`` from
the current directory, so running this script from another checkout times that checkout's code.

Prints each run (wall clock and the child's CPU time) and the medians.
Target: 15 s or less on the 2-core dev machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.make_inputs import write_face_video

ANNOTATED_NOTE = ", annotated video written"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30.0, help="video length")
    parser.add_argument("--faces", type=int, default=1)
    parser.add_argument("--annotated", action="store_true", help="also write the annotated video (.mp4)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        video = write_face_video(Path(tmp) / "bench.avi", seconds=args.seconds, faces=args.faces)
        out = Path(tmp) / "per_frame.csv"
        cmd = [sys.executable, "-m", "fer_desktop", "video", str(video), "--out", str(out)]
        if args.annotated:
            cmd += ["--annotated", str(Path(tmp) / "annotated.mp4")]
        times, cpu_times = [], []
        for run in range(args.runs):
            start, cpu_start = time.perf_counter(), _children_cpu_s()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            elapsed, cpu = time.perf_counter() - start, _children_cpu_s() - cpu_start
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
            rows = sum(1 for _ in out.open()) - 1
            times.append(elapsed)
            cpu_times.append(cpu)
            print(f"run {run + 1}: {elapsed:.2f} s, {rows} face rows, CPU time {cpu:.2f} s")
    frames = int(args.seconds * 30)
    median = statistics.median(times)
    print(
        f"median over {len(times)} runs: {median:.2f} s for {frames} frames "
        f"({frames / median:.1f} frames/s, start-up included{ANNOTATED_NOTE if args.annotated else ''}); "
        f"median CPU time {statistics.median(cpu_times):.2f} s"
    )
    return 0


def _children_cpu_s() -> float:
    """User + system CPU seconds of finished child processes: on a loaded machine, a steadier
    measure of the work done than the wall clock (which also counts waiting for a core)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    raise SystemExit(main())
