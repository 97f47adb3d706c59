"""Every classifying command names the model that answers (where it came from, its file and
SHA-256) when it starts, says its default in --help, and records it in the JSON it writes."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import cv2
import pytest

from fer_desktop.cli import main
from fer_desktop.labelling.reuse import state_path
from fer_desktop.models.catalogue import set_active_model
from fer_desktop.paths import user_models_dir


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def crops(tmp_path, face_crop) -> Path:
    root = tmp_path / "crops"
    root.mkdir()
    for i in range(3):
        cv2.imwrite(str(root / f"c{i}.png"), cv2.resize(face_crop, (48 + 8 * i, 48 + 8 * i)))
    return root


@pytest.fixture
def chosen_in_the_app(model_path) -> Path:
    """A copy of the shipped model under another name, chosen in the app as the active model."""
    copy = user_models_dir() / "mine" / "mine.keras"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(model_path, copy)
    for suffix in (".tflite", ".card.json"):  # its TFLite copy and the card vouching for it: no TensorFlow
        shutil.copyfile(model_path.with_suffix(suffix), copy.with_suffix(suffix))
    set_active_model(copy)
    return copy


@pytest.mark.parametrize(
    ("command", "says"),
    [("label", "the model last chosen in the app"), ("video", "the model last chosen in the app"),
     ("personalize", "the model last chosen in the app"), ("eval", "the shipped model")],
)  # fmt: skip
def test_help_says_which_model_is_the_default(command, says, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert says in " ".join(capsys.readouterr().out.split())  # argparse wraps the lines


def test_label_names_the_model_and_records_its_file_and_hash(crops, tmp_path, model_path, capsys):
    out, js = tmp_path / "r.csv", tmp_path / "r.json"
    assert main(["label", str(crops), "--out", str(out), "--json", str(js), "--no-detect"]) == 0
    sha = _sha(model_path)
    err = capsys.readouterr().err
    assert f"model: {model_path.stem} (sha {sha[:8]}), the model last chosen in the app" in err
    report = json.loads(js.read_text(encoding="utf-8"))
    assert (report["model_file"], report["model_sha256"]) == (model_path.name, sha)
    assert report["model"] == sha[:16]  # the key it always had
    state = json.loads(state_path(out).read_text(encoding="utf-8"))
    assert (state["model_file"], state["model_sha256"], state["model"]) == (model_path.name, sha, sha[:16])

    # A record whose whole hash is another model's is not reused, even if its short key matches.
    state["model_sha256"] = "0" * 64
    state_path(out).write_text(json.dumps(state), encoding="utf-8")
    assert main(["label", str(crops), "--out", str(out), "--no-detect"]) == 0
    err = capsys.readouterr().err
    assert "made with another model" in err and "reused" not in err
    assert main(["label", str(crops), "--out", str(out), "--no-detect"]) == 0
    assert "3 photos reused" in capsys.readouterr().err


def test_label_and_personalize_name_the_model_chosen_in_the_app(crops, tmp_path, chosen_in_the_app, capsys):
    out = tmp_path / "r.csv"
    assert main(["label", str(crops), "--out", str(out), "--no-detect"]) == 0
    sha = _sha(chosen_in_the_app)
    assert f"model: mine (sha {sha[:8]}), the model last chosen in the app" in capsys.readouterr().err
    assert json.loads(state_path(out).read_text())["model_file"] == "mine.keras"

    empty = tmp_path / "me"
    (empty / "happy").mkdir(parents=True)  # no photos: refused before any training, after the model is named
    assert main(["personalize", str(empty), "--out", str(tmp_path / "p.keras"), "--no-detect"]) == 1
    err = capsys.readouterr().err
    assert f"model: mine (sha {sha[:8]}), the model last chosen in the app" in err
    assert (
        main(
            [
                "personalize",
                str(empty),
                "--out",
                str(tmp_path / "p.keras"),
                "--base",
                str(crops / "x.keras"),
                "--no-detect",
            ]
        )
        == 1
    )
    assert f"model: {crops / 'x.keras'} (named with --base)" in capsys.readouterr().err


def test_eval_names_the_shipped_model_whatever_the_app_chose(tmp_path, chosen_in_the_app, model_path, capsys):
    assert main(["eval", "--data", str(tmp_path / "missing")]) == 1  # refused after the model is named
    err = capsys.readouterr().err
    assert f"model: {model_path.stem} (sha {_sha(model_path)[:8]}), the shipped model" in err


def test_video_names_its_model(face_video, tmp_path, model_path, capsys):
    assert main(["video", str(face_video), "--out", str(tmp_path / "v.csv"), "--model", str(model_path)]) == 0
    assert (
        f"model: {model_path.stem} (sha {_sha(model_path)[:8]}), named with --model"
        in capsys.readouterr().err
    )
