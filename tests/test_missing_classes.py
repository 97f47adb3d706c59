"""Fine-tuning accepts training data without some emotions (with a warning); from scratch does not."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.test_train_tab import make_class_folders
from training import datasets
from training.contract.labels import CLASS_NAMES
from training.datasets import DatasetError

PRESENT = ("angry", "happy", "sad", "neutral")  # no disgust, fear or surprise: a typical corrections export


def corrections_folder(root: Path, per_class: int = 6) -> Path:
    make_class_folders(root, per_class)
    for name in set(CLASS_NAMES) - set(PRESENT):
        shutil.rmtree(root / name)
    return root


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from training.model import make_model

    path = tmp_path_factory.mktemp("init") / "tiny.keras"
    make_model(width=4).save(path)
    return path


def test_check_usable_names_the_missing_classes_and_refuses_only_when_asked(tmp_path):
    data = datasets.load_class_folders(corrections_folder(tmp_path / "c"))
    with pytest.raises(DatasetError, match="no images for class"):
        datasets.check_usable(data, "corrections")
    assert datasets.check_usable(data, "corrections", allow_missing=True) == ["disgust", "fear", "surprise"]
    with pytest.raises(DatasetError, match="no usable images"):
        datasets.check_usable(data.subset(np.arange(0)), "corrections", allow_missing=True)


def test_prepare_data_warns_when_fine_tuning_and_refuses_from_scratch(tmp_path, tiny_model):
    from training.config import TrainConfig
    from training.data_prep import prepare_data

    folder = corrections_folder(tmp_path / "c")
    with pytest.raises(DatasetError, match="no images for class\\(es\\) disgust, fear, surprise"):
        prepare_data(TrainConfig(data=str(folder), out=""))
    warnings: list[str] = []
    data = prepare_data(
        TrainConfig(data=str(folder), out="", init=str(tiny_model)), on_warning=warnings.append
    )
    assert len(warnings) == 1 and "disgust, fear, surprise" in warnings[0] and "tiny.keras" in warnings[0]
    assert data.train.class_counts()["surprise"] == 0 and data.train.class_counts()["happy"] > 0


def test_train_init_cli_accepts_missing_emotions_with_a_warning(tmp_path, tiny_model, caplog, capsys):
    from fer_desktop.cli import main

    folder = corrections_folder(tmp_path / "c")
    common = ["train", "--data", str(folder), "--epochs", "1", "--batch-size", "8"]
    assert main([*common, "--width", "4", "--out", str(tmp_path / "scratch")]) == 1
    assert "no images for class(es) disgust, fear, surprise" in capsys.readouterr().err
    with caplog.at_level(logging.WARNING, logger="training.data_prep"):
        assert main([*common, "--init", str(tiny_model), "--out", str(tmp_path / "tuned")]) == 0
    assert any("no training images for disgust, fear, surprise" in r.getMessage() for r in caplog.records)
    card = json.loads((tmp_path / "tuned" / "model.card.json").read_text())
    assert card["data"]["train_class_counts"]["fear"] == 0 and card["init"]["path"] == str(tiny_model)


def test_train_worker_forwards_the_warning_and_finishes(qtbot, tmp_path, tiny_model):
    from fer_desktop.ui.workers.train_worker import TrainWorker
    from training.config import TrainConfig

    folder = corrections_folder(tmp_path / "c")
    config = TrainConfig(
        data=str(folder), out=str(tmp_path / "gui"), epochs=1, batch_size=8, init=str(tiny_model)
    )
    worker = TrainWorker(config, None)
    warnings: list[str] = []
    worker.signals.warning.connect(warnings.append)
    with qtbot.waitSignal(worker.returned, timeout=120000) as blocker:
        worker.start()
    worker.wait(10000)
    assert any("surprise" in w for w in warnings)
    assert Path(blocker.args[0]["path"]).is_file()
