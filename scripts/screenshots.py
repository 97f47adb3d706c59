"""Screenshots of the running app for docs/, taken on a real X server (Xvfb), or offscreen.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m scripts.screenshots live \
        docs/screenshot-live.png
    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m scripts.screenshots train \
        docs/screenshot-train.png --data ../shared/data/fer2013
    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m scripts.screenshots calibrate \
        docs/screenshot-calibrate.png
    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m scripts.screenshots label \
        docs/screenshot-label.png
    QT_QPA_PLATFORM=offscreen .venv/bin/python -m scripts.screenshots guided docs/screenshot-guided.png

``live`` plays a video of a real face (scikit-image's astronaut); ``train``
fine-tunes the current model for a few epochs on a small sample of the given
FER2013 folder (copied to a temporary class-folder tree, never into the repo);
``label`` labels a small folder of photos it writes (scikit-image's samples: faces, and
two photos without one), corrects one face and shows it; ``guided`` runs a guided
calibration on the video's face at the default window size and grabs its second step
mid-capture.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from bench.make_inputs import write_face_photos, write_face_video


def grab(window, out: str) -> None:
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.platformName() == "offscreen":  # no X server: render the widgets themselves
        window.grab().save(out)
    else:
        QGuiApplication.primaryScreen().grabWindow(window.winId()).save(out)
    print(f"saved {out}")


def write_timeline_video(path: Path, seconds: float = 40.0, fps: float = 30.0) -> Path:
    """Three faces (scikit-image's astronaut, in other lights): one leaves at 12 s, one comes at 8 s."""
    import cv2
    import numpy as np

    from bench.make_inputs import face_tile

    tiles = [
        face_tile(170),
        cv2.convertScaleAbs(face_tile(160), alpha=0.9),
        cv2.convertScaleAbs(face_tile(150)[:, ::-1], alpha=1.15, beta=15),
    ]
    slots = [(20, 130), (230, 150), (440, 140)]
    shown = [(0, seconds), (0, 12), (8, seconds)]  # (from, until) per face
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    for i in range(int(seconds * fps)):
        t = i / fps
        frame = np.full((480, 640, 3), 80, dtype=np.uint8)
        for tile, (x, y), (start, end) in zip(tiles, slots, shown, strict=True):
            if start <= t < end:
                dx = int(12 * np.sin(t * 1.3 + x))
                h, w = tile.shape[:2]
                frame[y : y + h, x + dx : x + dx + w] = tile
        writer.write(frame)
    writer.release()
    return path


def shoot_live(window, tmp: Path, out: str, args) -> None:
    """A video of three faces, the third selected, grabbed once the timeline holds 25 s."""
    video = write_timeline_video(tmp / "faces.avi")
    window.resize(1280, 890)  # the side panel whole
    tab = window.live_tab

    def on_result(result) -> None:
        third = [f for f in result.faces if f.box.x > 400]
        if third and tab.session.selected_id != third[0].track_id:
            b = third[0].box
            tab.view.clicked_at.emit(b.x + b.w / 2, b.y + b.h / 2)  # as a click on that face
        if result.time >= 25:
            tab.result_shown.disconnect(on_result)
            grab(window, out)
            window.close()

    tab.result_shown.connect(on_result)
    tab.start(str(video))


def shoot_calibrate(window, tmp: Path, out: str, args) -> None:
    """Capture a few "happy" crops of the video's face, fine-tune on them, grab the result."""
    from PySide6.QtCore import QTimer

    video = write_face_video(tmp / "face.avi", seconds=90, faces=1)  # still playing when the fine-tune ends
    window.resize(1280, 890)
    tab = window.live_tab
    panel = tab.calibration
    panel.emotion_buttons.button(3).click()  # happy
    panel.enabled_box.setChecked(True)

    def on_capture(_path: str) -> None:
        if panel.store.total() == 8:
            panel.fine_tune()

    panel.captured.connect(on_capture)

    def show_result() -> None:
        bar = tab.side_scroll.verticalScrollBar()
        bar.setValue(bar.maximum())  # the panel's end (the result), should the side panel scroll
        QTimer.singleShot(200, lambda: (grab(window, out), window.close()))

    panel.finished.connect(lambda _card: QTimer.singleShot(500, show_result))
    panel.message.connect(print)
    tab.start(str(video))


def shoot_guided(window, tmp: Path, out: str, args) -> None:
    """A guided calibration at the default window size, grabbed in the "happy" step's capture."""
    from fer_desktop.ui.main_window import DEFAULT_SIZE

    video = write_face_video(tmp / "face.avi", seconds=60, faces=1)
    window.resize(*DEFAULT_SIZE)
    tab = window.live_tab
    guided = tab.calibration.guided_view

    def on_result(_result) -> None:
        run = guided.run
        if run is None and tab.session.selected_face() is not None:
            tab.calibration.guided_button.click()
        elif run is not None and run.index == 1 and run.view(guided.clock()).photos >= 3:
            tab.result_shown.disconnect(on_result)
            grab(window, out)
            window.close()

    tab.result_shown.connect(on_result)
    tab.start(str(video))


def write_label_photos(folder: Path) -> Path:
    """A few photos of a face at different places and sizes, and two without a face."""
    import cv2
    import numpy as np
    from skimage import data

    write_face_photos(folder, 6)
    cv2.imwrite(str(folder / "astronaut.jpg"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(folder / "mirrored.jpg"), cv2.cvtColor(data.astronaut()[:, ::-1], cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(folder / "coffee.jpg"), np.ascontiguousarray(data.coffee()[:, :, ::-1]))
    cv2.imwrite(str(folder / "cat.jpg"), np.ascontiguousarray(data.chelsea()[:, :, ::-1]))
    return folder


def shoot_label(window, tmp: Path, out: str, args) -> None:
    """Label the photos, correct the first face, select it: the grid, the photo and the captions."""
    from PySide6.QtCore import QTimer

    tab = window.label_tab
    window.tabs.setCurrentWidget(tab)
    folder = write_label_photos(tmp / "photos")

    def on_done(_summary) -> None:
        tab.select_face(0)
        row = tab.selected_rows()[0]
        tab.set_label_for_selected("neutral" if row.model_emotion != "neutral" else "happy")
        QTimer.singleShot(800, lambda: (grab(window, out), window.close_without_asking()))

    tab.finished.connect(on_done)
    tab.message.connect(print)
    tab.start_labelling(folder)


def sample_fer(data: Path, dest: Path, per_class: int) -> Path:
    from training.contract.labels import CLASS_NAMES

    for name in CLASS_NAMES:
        (dest / name).mkdir(parents=True)
        for f in sorted((data / "train" / name).iterdir())[:per_class]:
            shutil.copy(f, dest / name / f.name)
    return dest


def shoot_train(window, tmp: Path, out: str, args) -> None:
    from PySide6.QtCore import QTimer

    sample = sample_fer(Path(args.data), tmp / "sample", args.per_class)
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    tab.data_edit.setText(str(sample))
    tab.show_counts(str(sample))
    tab.epochs.setValue(args.epochs)
    tab.batch.setValue(32)
    tab.val_source.setCurrentIndex(1)
    tab.training_done.connect(
        lambda _card: QTimer.singleShot(500, lambda: (grab(window, out), window.close()))
    )
    tab.training_failed.connect(lambda text: (print(text), window.close()))
    tab.start()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("which", choices=["live", "train", "calibrate", "label", "guided"])
    parser.add_argument("out")
    parser.add_argument("--data", default="../shared/data/fer2013")
    parser.add_argument("--per-class", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from fer_desktop.models.catalogue import active_model_path
    from fer_desktop.pipeline.engine import AnalyzerEngine
    from fer_desktop.ui.main_window import MainWindow
    from fer_desktop.ui.workers.runs import wait_for_workers

    with tempfile.TemporaryDirectory() as tmp:
        # A throw-away user folder: calibration photos, models and the settings saved on close
        # never touch the real one, and every shot starts from the defaults.
        os.environ["FER_DESKTOP_DATA_DIR"] = str(Path(tmp) / "user")
        app = QApplication.instance() or QApplication([])
        engine = AnalyzerEngine(active_model_path())
        window = MainWindow(engine, source="0")
        window.resize(1280, 780)
        window.show()
        shots = {"live": shoot_live, "train": shoot_train, "calibrate": shoot_calibrate, "label": shoot_label}
        shots["guided"] = shoot_guided
        shoot = shots[args.which]
        shoot(window, Path(tmp), args.out, args)
        QTimer.singleShot(600000, window.close)
        app.exec()
        wait_for_workers(60)  # the window's runs were asked to stop when it closed
        engine.close()
    return 0 if Path(args.out).exists() else 1


if __name__ == "__main__":
    raise SystemExit(main())
