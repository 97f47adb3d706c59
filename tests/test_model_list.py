"""The model list: figures with the size of the set behind them, caution before a weaker model,
and no escape for a malformed card or an unsaved choice."""

from __future__ import annotations

import errno
import json
import shutil

import pytest
from PySide6.QtWidgets import QMessageBox

from fer_desktop.models import catalogue as model_store
from fer_desktop.models.catalogue import StoredModel, list_models, lower_than_current
from fer_desktop.paths import user_models_dir
from fer_desktop.pipeline.engine import AnalyzerEngine


def _card(acc: float, n: int, **extra) -> dict:
    return {"created": "2026-11-26", "evaluation": {"val": {"accuracy": acc, "n": n}}, **extra}


def test_figures_show_the_validation_set_size():
    text = StoredModel("m", user_models_dir() / "m" / "model.keras", _card(0.778, 27)).summary()
    assert "val 77.8% on 27 images" in text
    assert "on 3,589 images" in StoredModel("d", user_models_dir(), _card(0.67, 3589)).summary()


@pytest.mark.parametrize(
    "card",
    [[1, 2], {"evaluation": [1]}, {"evaluation": {"val": {"accuracy": "high", "n": "many"}}},
     {"evaluation": {"val": None}}, "text"],
)  # fmt: skip
def test_a_malformed_card_is_listed_without_figures(card):
    folder = user_models_dir() / "odd"
    folder.mkdir(parents=True)
    (folder / "model.keras").write_bytes(b"PK")
    (folder / "model.card.json").write_text(json.dumps(card))
    odd = next(m for m in list_models() if m.name == "odd")
    assert odd.summary().startswith("odd")


def test_lower_than_current_only_on_the_same_validation_data(model_path):
    weaker = _card(0.655, 27, baseline={"model": str(model_path), "val": {"accuracy": 0.68, "n": 27}})
    caution = lower_than_current(weaker, model_path, _card(0.67, 3589))
    assert "65.5%" in caution and "68.0%" in caution
    assert lower_than_current(weaker, user_models_dir() / "other.keras", None) is None  # another baseline
    stronger = _card(0.70, 27, baseline={"model": str(model_path), "val": {"accuracy": 0.68, "n": 27}})
    assert lower_than_current(stronger, model_path, None) is None
    same_data = {"data": {"val_fingerprint": "abc"}}
    current = {**_card(0.80, 40), **same_data}
    assert "80.0%" in lower_than_current({**_card(0.75, 40), **same_data}, model_path, current)
    assert (
        lower_than_current({**_card(0.75, 40), "data": {"val_fingerprint": "xyz"}}, model_path, current)
        is None
    )
    assert lower_than_current(None, model_path, current) is None


@pytest.fixture
def weaker_model(model_path):
    """A copy of the shipped model whose card says it scored lower on the current model's data."""
    dest = user_models_dir() / "weaker" / "model.keras"
    dest.parent.mkdir(parents=True)
    shutil.copyfile(model_path, dest)
    baseline = {"model": str(model_path), "val": {"accuracy": 0.68, "n": 27}}
    (dest.parent / "model.card.json").write_text(json.dumps(_card(0.655, 27, baseline=baseline)))
    return dest


def test_use_asks_before_a_weaker_model_and_survives_an_unsaved_choice(qtbot, model_path, weaker_model,
                                                                       monkeypatch):  # fmt: skip
    from fer_desktop.ui.train.train_tab import TrainTab

    engine = AnalyzerEngine(model_path)
    tab = TrainTab(engine)
    qtbot.addWidget(tab)
    page = tab.models_page
    row = next(i for i in range(page.models.count()) if "weaker" in page.models.item(i).text())
    assert "val 65.5% on 27 images" in page.models.item(row).text()
    page.models.setCurrentRow(row)

    asked = []
    answer = [QMessageBox.StandardButton.No]
    monkeypatch.setattr(QMessageBox, "question", lambda _p, _t, text, *_a: asked.append(text) or answer[0])
    page.restore_button.click()
    assert len(asked) == 1 and "lower than the current model" in asked[0]
    assert engine.model_path == model_path

    def unwritable(_path):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(model_store, "set_active_model", unwritable)
    answer[0] = QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(tab.controller.model_changed, timeout=60000):
        page.restore_button.click()
    assert engine.model_path == weaker_model
    assert "could not be saved" in tab.status.text()
    engine.close()


def test_adding_a_model_on_a_full_disk_says_so(qtbot, model_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from fer_desktop.ui.train.train_tab import TrainTab

    tab = TrainTab(AnalyzerEngine(model_path))
    qtbot.addWidget(tab)

    def full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(model_path), ""))
    monkeypatch.setattr(shutil, "copyfile", full)
    tab.models_page.import_button.click()
    assert "Model not added: No space left on device" in tab.status.text()
    assert not list(user_models_dir().rglob("*.keras"))
