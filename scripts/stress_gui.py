"""Run the GUI offscreen for a while, switching sources, models and Label folders every few seconds.

    python scripts/stress_gui.py [--seconds 600] [--interval 2.5]

The GUI runs in a child process, so a crash (a Qt abort, a segfault) is reported
rather than ending the script. The child writes videos and photo folders of its
own, copies the shipped model (a second model to swap to), then cycles through
actions: open a video / a folder / a missing camera in the Live tab, stop it,
restart quickly (an old run's signals must be dropped), swap the model through the
Train tab (loaded off the GUI thread), label a folder, start another one before it
ends, cancel, mirror, pause/resume and seek the video, record on and off (into the
child's own data folder). It counts Python exceptions (sys.excepthook, which PySide
calls for an exception in a slot, and threading.excepthook) and samples resident
memory. The figures printed at the end: crashes (expected none), exceptions
(expected 0), RSS at start, once warm (every action has run once) and at the end
(expected within 10% of the warm figure).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path


def trimmed_rss_mib() -> float:
    """Resident memory after glibc returns freed heap pages: separates a leak from allocator retention."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    return rss_mib()


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# -- the child: the GUI under stress ---------------------------------------------------------------
def write_inputs(root: Path) -> dict[str, Path]:
    """Two videos and two photo folders with faces, and a copy of the shipped model."""
    import cv2
    import numpy as np
    from skimage import data

    from fer_desktop.paths import default_model_path

    face = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[30:260, 140:320]

    def canvas(size: tuple[int, int], positions: list[tuple[int, int]], tile: int) -> np.ndarray:
        frame = np.full((size[1], size[0], 3), 90, np.uint8)
        small = cv2.resize(face, (tile, int(tile * face.shape[0] / face.shape[1])))
        for x, y in positions:
            frame[y : y + small.shape[0], x : x + small.shape[1]] = small
        return frame

    def video(path: Path, base: np.ndarray, frames: int) -> Path:
        h, w = base.shape[:2]
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (w, h))
        for i in range(frames):
            writer.write(np.roll(base, (i % 60) - 30, axis=1))
        writer.release()
        return path

    three = canvas((480, 360), [(10, 90), (170, 90), (330, 90)], 130)
    paths = {
        "video_one": video(root / "one_face.avi", canvas((640, 480), [(230, 100)], 200), 300),
        "video_three": video(root / "three_faces.avi", three, 240),
    }
    for name, count in (("photos_a", 40), ("photos_b", 12)):
        folder = root / name
        (folder / "sub").mkdir(parents=True)
        for i in range(count):
            image = canvas((320, 240), [(60 + (i % 5) * 10, 20)], 150)
            cv2.imwrite(str(folder / ("sub" if i % 3 == 0 else "") / f"p{i:03d}.jpg"), image)
        (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not a photo")
        paths[name] = folder
    from fer_desktop.paths import user_models_dir

    shipped = default_model_path()
    copy_dir = user_models_dir() / "model_copy"  # where a trained model lives, its card trusted
    copy_dir.mkdir(parents=True)
    for f in shipped.parent.glob(shipped.stem + ".*"):
        shutil.copy(f, copy_dir / f.name)  # same names: the card's TFLite entry names its file
    paths["model_shipped"], paths["model_copy"] = shipped, copy_dir / shipped.name
    return paths


class Stress:
    def __init__(self, window, inputs: dict[str, Path], seconds: float, interval: float, malloc_trim: bool):
        self.window = window
        self.malloc_trim = malloc_trim
        self.inputs = inputs
        self.seconds = seconds
        self.interval = interval
        self.rng = random.Random(1)
        self.started = time.monotonic()
        self.counts: dict[str, int] = {}
        self.exceptions: list[str] = []
        self.rss = {"start": rss_mib()}
        self.samples: list[tuple[float, float]] = []
        self.actions = [
            self.live_video_one, self.live_video_three, self.live_folder, self.live_missing_camera,
            self.live_stop, self.live_quick_restart, self.swap_model, self.label_a, self.label_b,
            self.label_restart, self.label_cancel, self.mirror, self.live_pause, self.live_seek,
            self.live_record,
        ]  # fmt: skip
        self._done_once: set[str] = set()
        live, label = window.live_tab, window.label_tab
        live.result_shown.connect(lambda _r: self._count("live results drawn"))
        label.finished.connect(lambda _s: self._count("label runs finished"))
        controller = window.model_controller
        controller.model_changed.connect(lambda _p: self._count("models swapped in"))
        controller.model_refused.connect(lambda m: self._count("models refused"))
        live.message.connect(self._on_live_message)

    def _count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def _on_live_message(self, text: str) -> None:
        if "failed" in text.lower() and "Analysis" in text:
            self.exceptions.append(f"Live tab: {text}")  # an analysis error is a bug here

    # -- actions ---------------------------------------------------------------------------------
    def live_video_one(self) -> None:
        self.window.live_tab.start(str(self.inputs["video_one"]))

    def live_video_three(self) -> None:
        self.window.live_tab.start(str(self.inputs["video_three"]))

    def live_folder(self) -> None:
        self.window.live_tab.start(str(self.inputs["photos_b"]))

    def live_missing_camera(self) -> None:
        self.window.live_tab.start("15")

    def live_stop(self) -> None:
        self.window.live_tab.stop()

    def live_quick_restart(self) -> None:
        self.window.live_tab.start(str(self.inputs["video_three"]))
        self.window.live_tab.start(str(self.inputs["video_one"]))

    def swap_model(self) -> None:
        shipped, copy = self.inputs["model_shipped"], self.inputs["model_copy"]
        self.window.model_controller.use_model(copy if self.window.engine.model_path == shipped else shipped)

    def label_a(self) -> None:
        self.window.label_tab.start_labelling(self.inputs["photos_a"])

    def label_b(self) -> None:
        self.window.label_tab.start_labelling(self.inputs["photos_b"])

    def label_restart(self) -> None:
        self.window.label_tab.start_labelling(self.inputs["photos_a"])
        self.window.label_tab.start_labelling(self.inputs["photos_b"])

    def label_cancel(self) -> None:
        self.window.label_tab.cancel()

    def mirror(self) -> None:
        box = self.window.live_tab.mirror_box
        box.setChecked(not box.isChecked())

    def live_pause(self) -> None:
        self.window.live_tab.playback.toggle_pause()  # a no-op on a camera or a stopped run

    def live_seek(self) -> None:
        slider = self.window.live_tab.playback.slider
        if slider.isEnabled():
            slider.setValue(self.rng.randint(0, slider.maximum()))

    def live_record(self) -> None:
        button = self.window.live_tab.record.record_button
        if button.isEnabled():
            button.click()

    # -- the loop ----------------------------------------------------------------------------------
    def tick(self) -> bool:
        """One action; False when the time is up."""
        elapsed = time.monotonic() - self.started
        if elapsed >= self.seconds:
            self.rss["end"] = rss_mib()  # still running: the same state as "warm", not a closed window
            if self.malloc_trim:
                self.rss["end_trimmed"] = trimmed_rss_mib()
            return False
        # Every action once, in order, then at random; the Live tab is kept busy most of the time.
        pending = [a for a in self.actions if a.__name__ not in self._done_once]
        action = pending[0] if pending else self.rng.choice(self.actions)
        action()
        self._done_once.add(action.__name__)
        self._count(f"action {action.__name__}")
        if not pending and "warm" not in self.rss:
            self.rss["warm"] = rss_mib()
            if self.malloc_trim:
                self.rss["warm_trimmed"] = trimmed_rss_mib()
            self.rss["warm_at_s"] = round(elapsed, 1)
        if not self.samples or elapsed - self.samples[-1][0] >= 30:
            self.samples.append((round(elapsed, 1), round(rss_mib(), 1)))
        return True


def run_child(seconds: float, interval: float, report: Path, malloc_trim: bool) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import gc

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from fer_desktop.paths import default_model_path
    from fer_desktop.pipeline.engine import AnalyzerEngine
    from fer_desktop.ui.main_window import MainWindow
    from fer_desktop.ui.workers.runs import alive_workers, wait_for_workers
    from fer_desktop.ui.workers.stoppable import StoppableWorker

    exceptions: list[str] = []

    def excepthook(kind, value, tb) -> None:
        exceptions.append("".join(traceback.format_exception(kind, value, tb)))
        sys.__excepthook__(kind, value, tb)

    def thread_excepthook(args) -> None:
        exceptions.append(
            f"thread {args.thread.name if args.thread else '?'}: "
            + "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        )

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook

    workdir = Path(tempfile.mkdtemp(prefix="fer-stress-"))
    os.environ["FER_DESKTOP_DATA_DIR"] = str(workdir / "userdata")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    inputs = write_inputs(workdir)
    engine = AnalyzerEngine(default_model_path())
    window = MainWindow(engine, source=str(inputs["video_one"]))
    window.show()
    stress = Stress(window, inputs, seconds, interval, malloc_trim)
    window.live_tab.start()

    timer = QTimer()
    timer.setInterval(int(interval * 1000))

    def on_tick() -> None:
        if not stress.tick():
            timer.stop()
            app.quit()

    timer.timeout.connect(on_tick)
    timer.start()
    app.exec()
    peak_workers = len(alive_workers())
    gc.collect()
    worker_objects = sum(1 for o in gc.get_objects() if isinstance(o, StoppableWorker))
    retired = engine.retired_count
    window.close()
    all_ended = wait_for_workers(120)
    engine.close()
    del window
    gc.collect()
    app.processEvents()
    stress.rss["after_close"] = rss_mib()
    result = {
        "seconds": round(time.monotonic() - stress.started, 1),
        "counts": dict(sorted(stress.counts.items())),
        "exceptions": exceptions + stress.exceptions,
        "rss_mib": {k: round(v, 1) for k, v in stress.rss.items()},
        "rss_samples": stress.samples,
        "workers_alive_at_end_of_loop": peak_workers,
        "worker_objects_at_end_of_loop": worker_objects,
        "retired_classifiers_open_at_end_of_loop": retired,
        "workers_all_ended": all_ended,
    }
    report.write_text(json.dumps(result, indent=1), encoding="utf-8")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


# -- the parent: runs the child, reports ----------------------------------------------------------
def run_parent(seconds: float, interval: float, malloc_trim: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "2"}
        command = [sys.executable, __file__, "--child", "--seconds", str(seconds),
                   "--interval", str(interval), "--report", str(report)]  # fmt: skip
        if malloc_trim:
            command.append("--malloc-trim")
        started = time.monotonic()
        try:
            proc = subprocess.run(command, env=env, timeout=seconds + 300, capture_output=True, text=True)
            code, stderr = proc.returncode, proc.stderr
        except subprocess.TimeoutExpired as exc:
            code, stderr = "timeout", (exc.stderr or b"").decode(errors="replace")
        wall = time.monotonic() - started
        result = json.loads(report.read_text(encoding="utf-8")) if report.is_file() else None
    crashed = code != 0 or result is None
    print(f"stress_gui: {seconds:.0f} s requested, {wall:.0f} s wall, child exit code {code}")
    print(f"crashes: {1 if crashed else 0}")
    if crashed:
        log = Path(tempfile.gettempdir()) / "stress_gui_child_stderr.txt"
        log.write_text(stderr, encoding="utf-8")
        fatal = [
            line
            for line in stderr.splitlines()
            if any(k in line for k in ("Fatal", "QThread", "Check failed"))
        ]
        print("child's fatal lines:\n" + "\n".join(fatal[:20]))
        print(f"child stderr in {log}; tail:\n" + stderr[-3000:])
        return 1
    rss = result["rss_mib"]
    growth = (rss["end"] - rss["warm"]) / rss["warm"] if "warm" in rss else float("nan")
    print(f"python exceptions: {len(result['exceptions'])}")
    for text in result["exceptions"][:5]:
        print("  " + text.strip().replace("\n", "\n  "))
    print(
        f"resident memory: start {rss['start']:.0f} MiB, warm {rss.get('warm', float('nan')):.0f} MiB "
        f"(after {rss.get('warm_at_s', '?')} s, every action run once), end {rss['end']:.0f} MiB "
        f"({growth:+.1%} from warm); {rss['after_close']:.0f} MiB after closing the window"
    )
    if "warm_trimmed" in rss:
        print(f"after malloc_trim (freed heap returned to the OS): warm {rss['warm_trimmed']:.0f} MiB, "
              f"end {rss['end_trimmed']:.0f} MiB")  # fmt: skip
    print("memory samples (s, MiB): " + ", ".join(f"{t:.0f}:{m:.0f}" for t, m in result["rss_samples"]))
    print("counts: " + ", ".join(f"{k} {v}" for k, v in result["counts"].items()))
    print(f"workers still running when the loop ended: {result['workers_alive_at_end_of_loop']} "
          f"({result['worker_objects_at_end_of_loop']} worker objects in memory, "
          f"{result['retired_classifiers_open_at_end_of_loop']} replaced classifiers open); "
          f"all ended after close: {result['workers_all_ended']}")  # fmt: skip
    ok = not result["exceptions"] and abs(growth) <= 0.10 and result["workers_all_ended"]
    print("OK" if ok else "NOT OK")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="how long to run (default 600)")
    parser.add_argument("--interval", type=float, default=2.5, help="seconds between actions")
    parser.add_argument(
        "--malloc-trim", action="store_true",
        help="also measure memory after glibc's malloc_trim at warm and end (diagnostic; changes the run)",
    )  # fmt: skip
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child(args.seconds, args.interval, args.report, args.malloc_trim)
    return run_parent(args.seconds, args.interval, args.malloc_trim)


if __name__ == "__main__":
    sys.exit(main())
