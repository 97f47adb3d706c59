"""Smoke test of the PyInstaller build: run the packaged executable as a user would.

    .venv/bin/python scripts/smoke_test_bundle.py [dist/fer-desktop/fer-desktop]

Checks: ``--version``; ``video`` on a small real-face video, with the CSV's
header and rows; the GUI for a few seconds offscreen on a video source, exit
code 0; and that nothing was written into the app's own folder.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.make_inputs import write_face_video


def listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


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
