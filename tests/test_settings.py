"""The shared settings file: keys survive each other's writes, bad files read as defaults."""

from __future__ import annotations

import json

from fer_desktop.models import catalogue as model_store
from fer_desktop.settings import get_setting, read_settings, settings_path, update_settings


def test_update_keeps_other_keys_and_none_removes(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DESKTOP_DATA_DIR", str(tmp_path))
    update_settings(mirror=True, smoothing=0.4)
    update_settings(last_label_folder="/photos")
    assert read_settings() == {"mirror": True, "smoothing": 0.4, "last_label_folder": "/photos"}
    update_settings(smoothing=None)
    assert "smoothing" not in read_settings()
    assert get_setting("missing", 7) == 7


def test_malformed_file_reads_as_empty_and_is_replaced_on_write(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DESKTOP_DATA_DIR", str(tmp_path))
    settings_path().write_text("[1, 2", encoding="utf-8")
    assert read_settings() == {}
    update_settings(mirror=False)
    assert json.loads(settings_path().read_text(encoding="utf-8")) == {"mirror": False}


def test_active_model_is_one_key_among_others(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DESKTOP_DATA_DIR", str(tmp_path))
    model = tmp_path / "models" / "mine" / "model.keras"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"x")
    update_settings(window_size=[1200, 800])
    model_store.set_active_model(model)
    assert model_store.active_model_path() == model.resolve()
    assert get_setting("window_size") == [1200, 800]
