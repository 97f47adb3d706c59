"""The user's settings (active model, mirror, smoothing, last folders, window size, …).

One JSON file in the per-user data folder, shared by every tab and the CLI.
Reads never fail (a missing or malformed file gives the defaults) and writes are
atomic read-modify-write under a file lock, so two windows or a crash mid-write
cannot leave a half-written file or drop another key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fer_desktop.paths import user_data_dir
from training.contract import atomic


def settings_path() -> Path:
    return user_data_dir() / "settings.json"


def read_settings() -> dict[str, Any]:
    try:
        data = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def get_setting(key: str, default: Any = None) -> Any:
    return read_settings().get(key, default)


def update_settings(**values: Any) -> None:
    """Set ``values`` and keep every other key; ``None`` removes a key.

    A read-only or full disk raises ``OSError``; callers in the GUI ignore it,
    since losing a preference must not interrupt the user.
    """
    from filelock import FileLock

    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=10):
        settings = read_settings()
        for key, value in values.items():
            if value is None:
                settings.pop(key, None)
            else:
                settings[key] = value
        atomic.write_json(path, settings)
