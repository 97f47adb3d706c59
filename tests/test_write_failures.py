"""Full disks, read-only folders, unwritable paths and a second run on the same output.

Every case ends with a clear message (exit code 1 on the CLI) and earlier outputs intact.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest

from fer_desktop.cli import main
from fer_desktop.labelling.reuse import lock_path
from fer_desktop.labelling.rows import STATUS_OK, LabelRow
from fer_desktop.pipeline.faces import Box
from training.contract import atomic
from training.contract.labels import CLASS_NAMES


@pytest.fixture
def photos(tmp_path, astronaut_bgr):
    root = tmp_path / "photos"
    root.mkdir()
    cv2.imwrite(str(root / "astronaut.jpg"), astronaut_bgr)
    return root


def _fail_writes(monkeypatch, code: int) -> None:
    """Every atomic write fails once its data is written, as a full disk (ENOSPC) or a folder
    turned read-only (EACCES) fails a flush."""
    real = atomic.atomic_path

    @contextlib.contextmanager
    def failing(dest):
        with real(dest) as tmp:
            yield tmp
            raise OSError(code, os.strerror(code), str(tmp))

    monkeypatch.setattr(atomic, "atomic_path", failing)


@pytest.mark.parametrize(("code", "words"), [(errno.ENOSPC, "disk is full"), (errno.EACCES, "no permission")])
def test_label_cli_on_a_full_or_read_only_disk_keeps_earlier_results(photos, tmp_path, capsys, monkeypatch,
                                                                      code, words):  # fmt: skip
    out, js = tmp_path / "r.csv", tmp_path / "r.json"
    out.write_text("earlier results\n")
    js.write_text("{}\n")
    _fail_writes(monkeypatch, code)
    assert main(["label", str(photos), "--out", str(out), "--json", str(js)]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert out.read_text() == "earlier results\n" and js.read_text() == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["photos", "r.csv", "r.json", lock_path(out).name]
    )


def test_eval_json_to_an_unwritable_path_is_a_clear_error(tmp_path, capsys):
    data = tmp_path / "faces"
    for label, name in enumerate(CLASS_NAMES):
        (data / name).mkdir(parents=True)
        img = np.full((48, 48), 40, np.uint8)
        img[:, label * 6 : label * 6 + 8] = 230
        cv2.imwrite(str(data / name / "a.png"), img)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = main(["eval", "--data", str(data), "--split", "all", "--json", str(blocker / "report.json")])
    err = capsys.readouterr().err
    assert code == 1 and "cannot write" in err and "Traceback" not in err


def test_a_second_label_run_on_the_same_out_is_refused(photos, tmp_path, capsys):
    out = tmp_path / "r.csv"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from filelock import FileLock
            lock = FileLock({str(lock_path(out))!r})
            lock.acquire()
            print("locked", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert main(["label", str(photos), "--out", str(out)]) == 1
        assert "another labelling run is writing" in capsys.readouterr().err
        assert not out.exists()
    finally:
        holder.communicate("", timeout=30)
    assert main(["label", str(photos), "--out", str(out)]) == 0  # free again once the first run ends
    assert out.is_file()


def test_label_tab_export_on_a_full_disk_says_so_and_keeps_the_earlier_file(qtbot, model_path, tmp_path,
                                                                           monkeypatch):  # fmt: skip
    from fer_desktop.pipeline.engine import AnalyzerEngine
    from fer_desktop.ui.label.label_tab import LabelTab

    tab = LabelTab(AnalyzerEngine(model_path))  # never built: exports need no model
    qtbot.addWidget(tab)
    probs = np.eye(len(CLASS_NAMES))[3]
    tab.rows = [
        LabelRow("a.jpg", STATUS_OK, 0, Box(0, 0, 9, 9), probs, "model", crop=np.zeros((96, 96, 3), np.uint8))
    ]
    earlier = tmp_path / "labels.csv"
    earlier.write_text("earlier export\n")
    tab.export("crops", tmp_path / "crops")
    assert (tmp_path / "crops" / "happy").is_dir()
    crop = next((tmp_path / "crops").rglob("*.png")).read_bytes()
    messages = []
    tab.message.connect(messages.append)
    _fail_writes(monkeypatch, errno.ENOSPC)
    tab.export("csv", earlier)
    tab.rows[0].set_human_label("sad")
    tab.export("crops", tmp_path / "crops")
    assert all("Export failed" in m and "disk is full" in m for m in messages), messages
    assert earlier.read_text() == "earlier export\n"
    assert next((tmp_path / "crops").rglob("*.png")).read_bytes() == crop  # still there, under happy
    assert not (tmp_path / "crops" / "sad").exists() or not any((tmp_path / "crops" / "sad").iterdir())
