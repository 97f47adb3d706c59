"""The folder a file dialog opens in: the last one used for the same purpose, kept across runs.

Stored in ``settings.json`` as ``last_folder_<purpose>`` (:attr:`Settings.last_folders`,
where older keys are migrated); a folder that has gone since gives the home folder.
Losing this preference must never interrupt the user, so writes that fail are ignored.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from fer_desktop.settings import load_settings, save_settings


def last_folder(purpose: str) -> str:
    """The folder last used for ``purpose`` if it still exists, else the user's home folder."""
    saved = load_settings().last_folders.get(purpose)
    if saved and Path(saved).is_dir():
        return saved
    return str(Path.home())


def remember_folder(purpose: str, chosen: str | Path) -> None:
    """Remember ``chosen`` (a folder, or a file's folder) as the start for ``purpose``'s next dialog."""
    path = Path(chosen)
    folder = path if path.is_dir() else path.parent
    with contextlib.suppress(OSError):
        save_settings(last_folders={purpose: str(folder.resolve())})
