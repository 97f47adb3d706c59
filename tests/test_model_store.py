from __future__ import annotations

import pytest

from fer_desktop.models import catalogue as model_store
from fer_desktop.models.classifier import ModelLoadError
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


def _user_model(model_path, name: str):
    import json
    import shutil

    from training.card import write_card

    dest = user_models_dir() / name / "model.keras"
    dest.parent.mkdir(parents=True)
    shutil.copyfile(model_path, dest)
    write_card(dest, {"name": name, "path": str(dest), "splits": {"val": "PublicTest"}})
    (dest.parent / "history.csv").write_text("epoch\n")
    return next(m for m in model_store.list_models() if m.name == name), json


def test_rename_moves_the_file_set_and_the_card_follows(model_path):
    stored, json = _user_model(model_path, "run-1")
    new_path = model_store.rename_model(stored, "  my model ", default_model_path())
    assert new_path == user_models_dir() / "my model" / "model.keras" and new_path.is_file()
    assert not stored.path.parent.exists()
    card = json.loads(new_path.with_name("model.card.json").read_text())
    assert card["name"] == "my model" and card["path"] == str(new_path)
    assert new_path.with_name("model.card.md").read_text().startswith("# Model card: my model")
    assert sorted(f.name for f in new_path.parent.iterdir()) == [
        "history.csv", "model.card.json", "model.card.md", "model.keras"
    ]  # fmt: skip
    renamed = next(m for m in model_store.list_models() if m.name == "my model")
    for bad in ("", "a/b", ".hidden", "..", "my model"):
        with pytest.raises(model_store.ModelEditError):
            model_store.rename_model(renamed, bad, default_model_path())


def test_delete_refuses_the_default_and_the_active_model(model_path):
    stored, _ = _user_model(model_path, "run-2")
    bundled = model_store.list_models()[0]
    with pytest.raises(model_store.ModelEditError, match="bundled default"):
        model_store.delete_model(bundled, stored.path)
    with pytest.raises(model_store.ModelEditError, match="bundled default"):
        model_store.rename_model(bundled, "x", stored.path)
    with pytest.raises(model_store.ModelEditError, match="in use"):
        model_store.delete_model(stored, stored.path)
    assert stored.path.is_file() and default_model_path().is_file()
    model_store.delete_model(stored, default_model_path())
    assert not stored.path.parent.exists()
    assert [m.name for m in model_store.list_models()] == ["bundled default"]


def test_card_text_is_words_not_python_dicts(model_path):
    bundled = model_store.list_models()[0]
    text = model_store.card_text(bundled)
    assert "{'" not in text and "PublicTest" in text and "crop_margin: 0.2" in text
