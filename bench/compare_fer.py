"""FER Desktop against the `fer` PyPI package, on the same inputs, in one run.

    bench/setup_fer_env.sh                       # once: fer in its own environment
    .venv/bin/python -m bench.compare_fer        # writes docs/speed-vs-fer.md

Measures: accuracy on FER2013 PublicTest and PrivateTest (the same images for
both tools; single crop, plus FER Desktop's mirror TTA, fer has none); a
30-second 640x480 video with one face and with four faces through
`fer-desktop video` and through fer's detect-and-classify on every frame
(whole process and in-loop frames/s, medians of several runs); photo labelling
photos/s on the same folder.  ``--quick`` shrinks every input (for the tests).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.make_inputs import write_face_photos, write_face_video

ROOT = Path(__file__).resolve().parent.parent

FER_PYTHON = ROOT / "bench" / ".venv-fer" / "bin" / "python"
FER_SIDE = ROOT / "bench" / "fer_side.py"


def run_timed(cmd: list[str], env: dict | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}… failed:\n{proc.stderr[-3000:]}")
    return elapsed, proc.stdout + proc.stderr


def fer_result(output: str) -> dict:
    line = next(ln for ln in output.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def accuracy(data: Path, limit: int | None, use_fer: bool, tmp: Path) -> dict:
    import cv2
    import numpy as np

    from fer_desktop.paths import default_model_path
    from training.datasets import load_kaggle_folders
    from training.evaluate import confusion_matrix, evaluate_arrays, metrics_from_confusion
    from training.model import load_model

    model = load_model(default_model_path())
    rows = {}
    for split in ("public", "private"):
        ds = load_kaggle_folders(data, split)
        if limit:
            ds = ds.subset(np.random.default_rng(0).choice(len(ds), limit, replace=False))
        ours = evaluate_arrays(model, ds.images, ds.labels)
        ours_tta = evaluate_arrays(model, ds.images, ds.labels, tta=True)
        row = {"n": len(ds), "ours": exact_accuracy(ours), "ours_tta": exact_accuracy(ours_tta),
               "ours_macro_f1": ours["macro_f1"]}  # fmt: skip
        if use_fer:
            originals = np.stack([cv2.imread(p, cv2.IMREAD_GRAYSCALE) for p in ds.paths])
            npz, out = tmp / f"{split}.npz", tmp / f"{split}_fer.npy"
            np.savez(npz, images=originals)
            run_timed([str(FER_PYTHON), str(FER_SIDE), "accuracy", str(npz), str(out)])
            probs = np.load(out)
            fer = metrics_from_confusion(confusion_matrix(ds.labels, probs.argmax(axis=1)))
            row.update(fer=exact_accuracy(fer), fer_macro_f1=fer["macro_f1"])
        rows[split] = row
        print(f"accuracy {split}: {row}", flush=True)
    return rows


def ours_video(video: Path, env: dict) -> tuple[float, float]:
    elapsed, out = run_timed([sys.executable, "-m", "fer_desktop", "video", str(video), "--out",
                              str(video.with_suffix(".csv"))], env)  # fmt: skip
    loop_fps = float(re.findall(r"([\d.]+) frames/s", out)[-1])
    return elapsed, loop_fps


def fer_video(video: Path, env: dict) -> tuple[float, float]:
    elapsed, out = run_timed([str(FER_PYTHON), str(FER_SIDE), "video", str(video)], env)
    return elapsed, fer_result(out)["loop_fps"]


def video_bench(tmp: Path, seconds: float, runs: int, use_fer: bool, env: dict) -> dict:
    frames = int(seconds * 30)
    results = {}
    for faces in (1, 4):
        video = write_face_video(tmp / f"video_{faces}.avi", seconds=seconds, faces=faces)
        tools = {"ours": ours_video} | ({"fer": fer_video} if use_fer else {})
        for tool, fn in tools.items():
            walls, loops = [], []
            for _ in range(runs):
                wall, loop = fn(video, env)
                walls.append(wall)
                loops.append(loop)
            results[(faces, tool)] = {
                "wall_s": statistics.median(walls),
                "process_fps": frames / statistics.median(walls),
                "loop_fps": statistics.median(loops),
            }
            print(f"video {faces} face(s), {tool}: {results[(faces, tool)]}", flush=True)
    return {"frames": frames, "results": results}


def photo_bench(tmp: Path, count: int, runs: int, use_fer: bool, env: dict) -> dict:
    folder = write_face_photos(tmp / "photos", count)
    out: dict[str, dict] = {}
    walls, rates = [], []
    for i in range(runs):
        wall, text = run_timed([sys.executable, "-m", "fer_desktop", "label", str(folder), "--out",
                                str(tmp / f"labels{i}.csv")], env)  # fmt: skip
        walls.append(wall)
        rates.append(float(re.search(r"\(([\d.]+) photos/s\)", text).group(1)))
    out["ours"] = {"loop": statistics.median(rates), "process": count / statistics.median(walls)}
    if use_fer:
        walls, rates = [], []
        for _ in range(runs):
            wall, text = run_timed([str(FER_PYTHON), str(FER_SIDE), "photos", str(folder)], env)
            walls.append(wall)
            rates.append(fer_result(text)["photos_per_s"])
        out["fer"] = {"loop": statistics.median(rates), "process": count / statistics.median(walls)}
    print(f"photos: {out}", flush=True)
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{os.cpu_count()} CPU cores ({cpu}), no GPU, {system}"


def shipped_architecture() -> str:
    from fer_desktop.paths import default_model_path
    from training.contract.model_card import read_card

    card = read_card(default_model_path()) or {}
    return f"{card.get('architecture', '?')}, {card.get('params', '?')} parameters"


def exact_accuracy(report: dict) -> float:
    """From the confusion matrix: the report's 4-decimal figure, rounded again to 0.1%, can be off by one."""
    cm = report["confusion_matrix"]
    return sum(cm[i][i] for i in range(len(cm))) / sum(map(sum, cm))


def fmt(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "–"
    return f"{v:.1%}" if pct else f"{v:.1f}"


def write_report(dest: Path, acc: dict, vid: dict, photos: dict, args, use_fer: bool) -> str:
    def ratio(a, b):
        return f"{a / b:.1f}×" if a and b else "–"

    lines = [
        "# FER Desktop vs the `fer` package",
        "",
        f"Produced by `{' '.join(['.venv/bin/python', '-m', 'bench.compare_fer', *sys.argv[1:]])}` "
        f"on {time.strftime('%Y-%m-%d')}; machine: {machine()}.",
        "`fer` 25.10.3 runs in its own environment (`bench/setup_fer_env.sh`) with its defaults: OpenCV "
        "Haar cascade + mini-Xception (quantised TFLite). FER Desktop: MediaPipe BlazeFace + the shipped "
        f"CNN (`assets/models/fer_default.keras`, {shipped_architecture()}); the app runs its int8 copy "
        "on LiteRT, accuracy is measured on the Keras model (the int8 copy is within 0.6 points of it: "
        "docs/models/fer_default.md).",
        "",
        "## Accuracy on FER2013 (same images for both, 48x48 face crops, no detection)",
        "",
        "| split | images | FER Desktop | FER Desktop + mirror TTA | fer | difference (single crop) |",
        "|---|---|---|---|---|---|",
    ]
    for split, r in acc.items():
        diff = f"{(r['ours'] - r['fer']) * 100:+.1f} points" if "fer" in r else "–"
        lines.append(f"| {split} | {r['n']} | {fmt(r['ours'], True)} | {fmt(r['ours_tta'], True)} | "
                     f"{fmt(r.get('fer'), True)} (no TTA) | {diff} |")  # fmt: skip
    lines += [
        "",
        f"## Video: {vid['frames']} frames of 640x480 ({vid['frames'] / 30:.0f} s at 30 fps), "
        f"medians of {args.runs} runs",
        "",
        "Whole process = start-up, model loading, decoding, detection, classification and (for "
        "FER Desktop) the CSV, divided into the frame count. In-loop = frames/s once running.",
        "",
        "| faces | tool | whole process (s) | frames/s, whole process | frames/s, in loop "
        "| ratio (whole process) |",
        "|---|---|---|---|---|---|",
    ]
    for faces in (1, 4):
        ours = vid["results"][(faces, "ours")]
        fer = vid["results"].get((faces, "fer"))
        speedup = ratio(ours["process_fps"], fer and fer["process_fps"])
        lines.append(f"| {faces} | FER Desktop | {fmt(ours['wall_s'])} | {fmt(ours['process_fps'])} | "
                     f"{fmt(ours['loop_fps'])} | {speedup} |")  # fmt: skip
        if fer:
            lines.append(f"| {faces} | fer | {fmt(fer['wall_s'])} | {fmt(fer['process_fps'])} | "
                         f"{fmt(fer['loop_fps'])} | 1.0× |")  # fmt: skip
    lines += [
        "",
        f"## Photo labelling: {args.photos} 640x480 JPEGs with one face each, medians of {args.runs} runs",
        "",
        "| tool | photos/s, in loop | photos/s, whole process |",
        "|---|---|---|",
        f"| FER Desktop (`fer-desktop label`, CSV written) | {fmt(photos['ours']['loop'])} | "
        f"{fmt(photos['ours']['process'])} |",
    ]
    if "fer" in photos:
        fer_photos = photos["fer"]
        lines.append(
            f"| fer (detect_emotions per photo) | {fmt(fer_photos['loop'])} | {fmt(fer_photos['process'])} |"
        )
    if not use_fer:
        lines += [
            "",
            "**fer was not run** (`--skip-fer`, or bench/.venv-fer missing): only FER Desktop's figures.",
        ]
    text = "\n".join(lines) + "\n"
    from training.contract.atomic import write_text

    write_text(dest, text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "fer2013"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--limit", type=int, help="evaluate on this many images per split")
    parser.add_argument("--quick", action="store_true", help="tiny inputs: a smoke run, not a measurement")
    parser.add_argument("--skip-fer", action="store_true", help="measure FER Desktop only")
    parser.add_argument("--out", default=str(ROOT / "docs" / "speed-vs-fer.md"))
    args = parser.parse_args()
    if args.quick:
        args.runs, args.seconds, args.photos, args.limit = 1, 1.0, 4, args.limit or 50
    use_fer = not args.skip_fer
    if use_fer and not FER_PYTHON.exists():
        print(f"{FER_PYTHON} missing: run bench/setup_fer_env.sh first (or pass --skip-fer)", file=sys.stderr)
        return 1
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        acc = accuracy(Path(args.data), args.limit, use_fer, tmp)
        vid = video_bench(tmp, args.seconds, args.runs, use_fer, env)
        photos = photo_bench(tmp, args.photos, args.runs, use_fer, env)
    print(write_report(Path(args.out), acc, vid, photos, args, use_fer))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
