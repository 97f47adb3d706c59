"""Which emotion model is active, and the user's trained models.

The bundled default lives in ``assets/``; models the user trains or imports
live in the per-user data folder (``user_models_dir()/<name>/model.keras``
with its card beside it).  The choice survives restarts in ``settings.json``.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from fer_desktop.paths import default_model_path, user_data_dir, user_models_dir
from training import atomic
from training.card import read_card


def _settings_path() -> Path:
    return user_data_dir() / "settings.json"


def _read_settings() -> dict:
    try:
        data = json.loads(_settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def active_model_path() -> Path:
    """The user's chosen model if it still exists, else the bundled default."""
    chosen = _read_settings().get("active_model")
    if chosen and Path(chosen).is_file():
        return Path(chosen)
    return default_model_path()


def set_active_model(path: str | Path) -> None:
    settings = _read_settings()
    settings["active_model"] = str(Path(path).resolve())
    atomic.write_json(_settings_path(), settings)


@dataclass
class StoredModel:
    name: str
    path: Path
    card: dict | None
    bundled: bool = False

    def summary(self) -> str:
        if not self.card:
            return f"{self.name}: no model card"
        ev = self.card.get("evaluation", {})
        figures = ", ".join(f"{split} {r['accuracy']:.1%}" for split, r in ev.items() if "accuracy" in r)
        return f"{self.name} ({self.card.get('created', '?')}): {figures}"


def list_models() -> list[StoredModel]:
    """The bundled default first, then user models, newest first."""
    models = [StoredModel("bundled default", default_model_path(), read_card(default_model_path()), True)]
    root = user_models_dir()
    if root.is_dir():
        found = sorted(root.glob("*/model.keras"), key=lambda p: p.stat().st_mtime, reverse=True)
        models += [StoredModel(p.parent.name, p, read_card(p)) for p in found]
    return models


def new_model_dir(prefix: str = "model") -> Path:
    """A fresh folder for a model about to be trained or imported."""
    base = user_models_dir() / time.strftime(f"{prefix}-%Y%m%d-%H%M%S")
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def import_model(source: str | Path) -> Path:
    """Check a .keras file (raises ModelLoadError) and copy it into the user's models."""
    from fer_desktop.classifier import load_checked_model

    source = Path(source)
    load_checked_model(source)
    dest = new_model_dir("imported") / "model.keras"
    with atomic.atomic_path(dest) as tmp:
        shutil.copyfile(source, tmp)
    return dest
