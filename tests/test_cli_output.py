"""What the command line prints: quiet by default, progress only on a terminal, counts in words."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from fer_desktop.cli import main
from fer_desktop.console import NATIVE_NOISE
from fer_desktop.progress import Progress
from training.contract.wording import count

ROOT = Path(__file__).resolve().parent.parent
# What TensorFlow, absl, LiteRT and Keras' export print on their own (see fer_desktop/console.py).
NOISE_LINE = re.compile(
    r"^(I\d{4} |W\d{4} |INFO: Created|INFO: \[|INFO: Assets written"
    r"|WARNING: All log messages|WARNING: Logging before)"
)


def _run_cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    """The CLI as a user runs it: its own process, this worktree's code, stderr not a terminal."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user's shell has it: the CLI must hide the chatter itself
    return subprocess.run(
        [sys.executable, "-m", "fer_desktop", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )


def _noise(text: str) -> list[str]:
    return [line for line in text.splitlines() if NOISE_LINE.match(line) or "TensorSpec(" in line]


def test_video_is_quiet_unless_verbose(face_video, tmp_path):
    out = tmp_path / "rows.csv"
    quiet = _run_cli("video", str(face_video), "--out", str(out))
    assert quiet.returncode == 0, quiet.stderr
    assert _noise(quiet.stderr) == [] and _noise(quiet.stdout) == []
    assert f"written: {out}" in quiet.stderr  # our own lines still pass the filter
    assert "\r" not in quiet.stderr  # no progress bar when stderr is not a terminal
    loud = _run_cli("video", str(face_video), "--out", str(out), "--verbose")
    assert loud.returncode == 0, loud.stderr
    assert any("XNNPACK" in line for line in _noise(loud.stderr))  # the filter really hid something


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from training.model import make_model

    path = tmp_path_factory.mktemp("tiny") / "tiny.keras"
    make_model(width=4).save(path)
    return path


def test_a_command_that_loads_tensorflow_prints_none_of_its_start_up_lines(tiny_model, tmp_path):
    tree = tmp_path / "faces"
    for name in ("happy", "sad"):
        (tree / name).mkdir(parents=True)
        cv2.imwrite(str(tree / name / "a.png"), np.full((48, 48), 120, np.uint8))
    run = _run_cli("eval", "--data", str(tree), "--model", str(tiny_model))
    assert run.returncode == 0, run.stderr
    assert _noise(run.stderr) == [] and _noise(run.stdout) == []
    assert "accuracy" in run.stdout


def test_the_tflite_export_after_training_prints_no_tensorspec_list(tiny_model, capfd):
    """Training ends with this export; Keras printed every captured variable's TensorSpec."""
    import keras

    from training.tflite import to_tflite

    flatbuffer = to_tflite(keras.saving.load_model(tiny_model))
    assert flatbuffer[4:8] == b"TFL3"
    out, err = capfd.readouterr()
    assert "TensorSpec(" not in out + err and "Saved artifact" not in out + err
    assert keras.config.is_interactive_logging_enabled()  # put back for the epoch lines of training


def test_the_filter_drops_native_chatter_and_nothing_else():
    noise = [
        b"I0000 00:00:1795701440.577006    9615 port.cc:153] oneDNN custom operations are on.",
        b"W0000 00:00:1795701481.658304   10902 inference_runner_litert.cc:1433] Input tensor memory",
        b"E0000 00:00:1795701410.826315    7849 cuda_platform.cc:52] failed call to cuInit: INTERNAL",
        b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
        b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    ]
    kept = [
        b"E0000 00:00:1795701410.826315    7849 some_op.cc:52] Out of memory while allocating",
        b"F0000 00:00:1795701410.826315    7849 check.cc:1] Check failed: x",
        b"Fatal Python error: deallocating None",
        b"Traceback (most recent call last):",
        b"error: no images in photos",
    ]
    assert all(NATIVE_NOISE.match(line) for line in noise)
    assert not any(NATIVE_NOISE.match(line) for line in kept)


def test_the_filter_passes_other_native_lines_and_puts_stderr_back():
    script = (
        "import os, sys\n"
        "from fer_desktop.console import NativeStderrFilter\n"
        "f = NativeStderrFilter()\n"
        "f.install()\n"
        "os.write(2, b'I0000 00:00:1795701440.5  9615 port.cc:153] noise\\nnative error kept\\n')\n"
        # One write per line: print() writes the text and the newline separately, and the filter's
        # thread may put its line between them (both go to the same file).
        "sys.stderr.write('python line\\n'); sys.stderr.flush()\n"
        "f.uninstall()\n"
        "os.write(2, b'I0000 00:00:1795701441.5  9615 port.cc:153] after uninstall\\n')\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert sorted(lines[:2]) == ["native error kept", "python line"]
    assert lines[2:] == ["I0000 00:00:1795701441.5  9615 port.cc:153] after uninstall"]  # unfiltered again


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_only():
    piped, terminal = io.StringIO(), _Terminal()
    for stream in (piped, terminal):
        bar = Progress(10, unit="photo", stream=stream)
        for done in range(1, 11):
            bar.update(done)
        bar.finish(10)
    assert piped.getvalue() == ""
    assert "10/10" in terminal.getvalue() and "photo" in terminal.getvalue()


def test_counts_are_in_words():
    assert [count(n, "photo") for n in (0, 1, 2, 1500)] == ["0 photos", "1 photo", "2 photos", "1,500 photos"]


def test_label_on_a_folder_without_images_exits_2(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("no photos here")
    out = tmp_path / "out.csv"
    assert main(["label", str(tmp_path), "--out", str(out)]) == 2
    assert "no images in" in capsys.readouterr().err
    assert not out.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["label", str(empty), "--out", str(out)]) == 2


def test_label_reports_every_file_it_wrote_and_counts_one_photo(tmp_path, one_face_frame, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "me.jpg"), one_face_frame)
    out, js, crops = tmp_path / "out.csv", tmp_path / "out.json", tmp_path / "crops"
    assert main(["label", str(photos), "--out", str(out), "--json", str(js), "--crops-to", str(crops)]) == 0
    err = capsys.readouterr().err
    assert "1 photo: 1 face," in err
    state = out.with_name(f".{out.name}.fer-state.json")
    for written in (out, js, state):
        assert written.is_file() and str(written) in err
    assert len(list(crops.rglob("*.png"))) == 1 and f"1 face crop written to {crops}" in err


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_is_a_global_option_in_either_place(where):
    from fer_desktop.cli import build_parser

    argv = ["--verbose", "video", "x.mp4"] if where == "before" else ["video", "x.mp4", "--verbose"]
    assert build_parser().parse_args(argv).verbose is True
    assert build_parser().parse_args(["video", "x.mp4"]).verbose is False


def test_images_label_would_skip_do_not_count_as_a_folders_photos(tmp_path, capsys):
    """Crops from an earlier run (--crops-to inside the folder) and hidden folders are not read."""
    import cv2
    import numpy as np

    for folder in (tmp_path / "crops" / "happy", tmp_path / ".thumbnails"):
        folder.mkdir(parents=True)
        cv2.imwrite(str(folder / "a.png"), np.zeros((8, 8, 3), np.uint8))
    args = ["label", str(tmp_path), "--out", str(tmp_path / "out.csv"), "--crops-to", str(tmp_path / "crops")]
    assert main(args) == 2
    assert "no images in" in capsys.readouterr().err


def test_train_and_personalize_defaults_are_the_configs():
    """The CLI states no training default of its own: each comes from TrainConfig / PersonalizeSettings."""
    from fer_desktop.cli import build_parser
    from training.config import PersonalizeSettings, TrainConfig

    train = vars(build_parser().parse_args(["train", "--data", "d"]))
    option_of = {"learning_rate": "lr"}
    for name in ("epochs", "batch_size", "learning_rate", "weight_decay", "width", "seed", "patience",
                 "max_minutes", "random_erasing", "augmentation", "labels", "ferplus_weight", "arch",
                 "teacher_weight"):  # fmt: skip
        assert train[option_of.get(name, name)] == getattr(TrainConfig, name), name
    assert train["extra_data"] == [] and train["teacher"] == []
    personal = build_parser().parse_args(["personalize", "d", "--out", "m.keras"])
    assert (personal.steps, personal.lr) == (PersonalizeSettings.steps, PersonalizeSettings.learning_rate)


def test_config_default_reads_plain_and_factory_defaults():
    from fer_desktop.cli.options import config_default
    from training.config import TrainConfig

    assert config_default(TrainConfig, "epochs") == TrainConfig.epochs
    assert config_default(TrainConfig, "teachers") == []
    assert config_default(TrainConfig, "teachers") is not config_default(TrainConfig, "teachers")
    with pytest.raises(ValueError):
        config_default(TrainConfig, "data")
    with pytest.raises(KeyError):
        config_default(TrainConfig, "no_such_field")


@pytest.mark.parametrize("open_now", [True, False])
def test_a_finishing_bar_closes_when_done_reaches_the_total(monkeypatch, open_now):
    import fer_desktop.progress
    from fer_desktop.cli.options import bar_to_total

    opened, closed = [], []

    class Spy(Progress):
        def __init__(self, total: int, unit: str = "frame"):
            opened.append(total)
            super().__init__(total, unit, stream=io.StringIO())

        def finish(self, done: int) -> None:
            closed.append(done)
            super().finish(done)

    monkeypatch.setattr(fer_desktop.progress, "Progress", Spy)
    update = bar_to_total("step", open_now=open_now)
    assert opened == ([0] if open_now else [])
    update(1, 3)
    update(2, 3)
    assert len(opened) == 1 and closed == []
    update(3, 3)
    assert closed == [3]
