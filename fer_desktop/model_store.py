"""Which emotion model is active: the bundled default or a user-trained one."""

from __future__ import annotations

import json
from pathlib import Path

from fer_desktop.paths import default_model_path, user_data_dir


def _settings_path() -> Path:
    return user_data_dir() / "settings.json"


def active_model_path() -> Path:
    """The user's chosen model if it still exists, else the bundled default."""
    try:
        chosen = json.loads(_settings_path().read_text(encoding="utf-8")).get("active_model")
    except (OSError, ValueError, AttributeError):
        chosen = None
    if chosen and Path(chosen).is_file():
        return Path(chosen)
    return default_model_path()
