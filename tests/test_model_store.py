from __future__ import annotations

import pytest

from fer_desktop import model_store
from fer_desktop.classifier import ModelLoadError
from fer_desktop.paths import default_model_path, user_models_dir


def test_active_model_defaults_to_the_bundled_one_and_persists(model_path, tmp_path):
    assert model_store.active_model_path() == default_model_path()
    imported = model_store.import_model(model_path)
    assert user_models_dir() in imported.parents
    model_store.set_active_model(imported)
    assert model_store.active_model_path() == imported.resolve()
    names = [m.name for m in model_store.list_models()]
    assert names[0] == "bundled default" and imported.parent.name in names
    imported.unlink()  # a vanished model falls back to the default
    assert model_store.active_model_path() == default_model_path()


def test_import_refuses_a_broken_file(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"garbage")
    with pytest.raises(ModelLoadError, match="Cannot load model"):
        model_store.import_model(bad)
    assert not user_models_dir().exists() or not list(user_models_dir().rglob("*.keras"))


def test_corrupt_settings_file_is_ignored():
    from fer_desktop.paths import user_data_dir

    user_data_dir().mkdir(parents=True, exist_ok=True)
    (user_data_dir() / "settings.json").write_text("{ not json")
    assert model_store.active_model_path() == default_model_path()
