"""Smoke test of the PyInstaller build: run the packaged executable as a user would.

    .venv/bin/python -m scripts.smoke_test_bundle [dist/fer-desktop/fer-desktop]

Checks: ``--version``; ``video`` on a small real-face video, with the CSV's
header and rows; ``train``, a one-epoch fine-tune of the bundled model on a tiny
class-folder dataset, whose model, TFLite and int8 copies and card must be written and whose
model ``eval`` must load and run; the GUI for a few seconds offscreen on a video
source, exit code 0; and that nothing was written into the app's own folder.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.make_inputs import write_face_crops, write_face_video
from training.contract.labels import CLASS_NAMES


def listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def check_training(run, tmp: Path, shipped: Path) -> list[str]:
    """Fine-tune the bundled model for one epoch inside the bundle, then load the result with ``eval``.

    This exercises what the app's Train tab runs and PyInstaller could miss: Keras' training loop,
    the optimiser, checkpoints, the TFLite converter and the model card.
    """
    data = write_face_crops(tmp / "tiny", list(CLASS_NAMES), per_class=6)
    out = tmp / "finetuned"
    result = run("train", "--data", str(data), "--init", str(shipped), "--epochs", "1",
                 "--batch-size", "16", "--out", str(out))  # fmt: skip
    card_path = out / "model.card.json"
    card = json.loads(card_path.read_text()) if card_path.is_file() else {}
    epochs = card.get("training", {}).get("epochs_run")
    lite = card.get("tflite") or {}
    has_lite = bool(lite) and (out / "model.tflite").is_file()
    has_int8 = bool(lite.get("int8")) and (out / "model.int8.tflite").is_file()
    print(
        f"train, 1 epoch -> exit {result.returncode}, epochs run {epochs}, "
        f"TFLite copy {has_lite}, int8 copy {has_int8}"
    )
    if result.returncode != 0 or not (out / "model.keras").is_file():
        return [f"train: {result.stderr[-1500:]}"]
    failures = []
    if epochs != 1 or not has_lite or not has_int8:
        failures.append(f"train: card, TFLite or int8 copy missing: {result.stderr[-1500:]}")
    report = out / "eval.json"
    ev = run("eval", "--data", str(data), "--model", str(out / "model.keras"), "--json", str(report))
    n = json.loads(report.read_text()).get("n") if report.is_file() else None
    print(f"eval of the fine-tuned model -> exit {ev.returncode}, {n} images")
    if ev.returncode != 0 or n != 6 * len(CLASS_NAMES):
        failures.append(f"eval of the fine-tuned model: {ev.stderr[-1500:]}")
    return failures


def main() -> int:
    exe = Path(sys.argv[1] if len(sys.argv) > 1 else "dist/fer-desktop/fer-desktop").resolve()
    if not exe.is_file():
        print(f"no executable at {exe}: build it first (pyinstaller build.spec)", file=sys.stderr)
        return 1
    before = listing(exe.parent)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FER_DESKTOP_DATA_DIR": str(tmp / "userdata")}

        def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
            # Run from an unrelated folder: bundled files must not be found through the working directory.
            return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, cwd=tmp,
                                  timeout=timeout)  # fmt: skip

        version = run("--version")
        print(f"--version -> {version.stdout.strip()!r} (exit {version.returncode})")
        if version.returncode != 0 or "fer-desktop" not in version.stdout:
            failures.append("--version")

        video = write_face_video(tmp / "face.avi", seconds=3, faces=1)
        out = tmp / "per_frame.csv"
        result = run("video", str(video), "--out", str(out))
        rows = list(csv.DictReader(out.open())) if out.exists() else []
        print(f"video -> exit {result.returncode}, {len(rows)} rows")
        if result.returncode != 0 or len(rows) < 80 or "emotion" not in (rows[0] if rows else {}):
            failures.append(f"video: {result.stderr[-1500:]}")

        shipped = exe.parent / "_internal" / "assets" / "models" / "fer_default.keras"
        failures += check_training(run, tmp, shipped)

        gui = run("--source", str(video), "--quit-after", "8", timeout=180)
        print(f"GUI for 8 s offscreen -> exit {gui.returncode}")
        if gui.returncode != 0:
            failures.append(f"gui: {gui.stderr[-1500:]}")
    if listing(exe.parent) != before:
        failures.append("the app wrote into its own folder")
    for f in failures:
        print(f"FAILED: {f}", file=sys.stderr)
    print("smoke test passed" if not failures else "smoke test FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
