"""Time to the first classified frame: a fresh process, from its launch to one frame's emotions.

    .venv/bin/python -m bench.bench_first_frame [--runs 5] [--model M.keras]

Each run starts a new Python process that imports the live pipeline, builds it (the face
detectors and the model on the runtime the app would choose) and analyses one 640x480
frame with a face (the astronaut of scikit-image, as in the tests); the time is taken from
the launch of the process to the moment the frame's result is there, and the process says
which runtime it used and whether TensorFlow was imported.  Median of the runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from fer_desktop.pipeline.analyzer import build_analyzer
    from fer_desktop.pipeline.frame import Frame

    frame = np.load(sys.argv[1])
    analyzer = build_analyzer(sys.argv[2])
    result = analyzer.analyze(Frame(frame, 0, 0.0))
    done = time.time()
    assert len(result.faces) == 1, result
    print(done, analyzer.classifier.runtime, "tensorflow" in sys.modules)
    analyzer.close()
    """
)


def face_frame(path: Path) -> Path:
    import cv2
    import numpy as np
    from skimage import data

    face = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[30:260, 140:320]
    frame = np.full((480, 640, 3), 90, dtype=np.uint8)
    tile = cv2.resize(face, (200, int(200 * face.shape[0] / face.shape[1])))
    frame[100 : 100 + tile.shape[0], 230:430] = tile
    np.save(path, frame)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", type=Path, default=ROOT / "assets" / "models" / "fer_default.keras")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        frame = face_frame(Path(tmp) / "frame.npy")
        times = []
        for run in range(args.runs):
            start = time.time()
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(frame), str(args.model)],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=False,
            )
            if done.returncode != 0:
                print(done.stderr[-2000:], file=sys.stderr)
                return 1
            finished, runtime, tensorflow = done.stdout.split()[-3:]
            times.append(float(finished) - start)
            print(f"run {run + 1}: {times[-1]:.2f} s (runtime {runtime}, TensorFlow imported: {tensorflow})")
    print(f"median {statistics.median(times):.2f} s to the first classified frame ({args.runs} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
