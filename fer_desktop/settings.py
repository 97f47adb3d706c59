"""The user's settings (active model, mirror, smoothing, last folders, window size, …).

One JSON file in the per-user data folder, shared by every tab and the CLI.
Reads never fail (a missing or malformed file gives the defaults) and writes are
atomic read-modify-write under a file lock, so two windows or a crash mid-write
cannot leave a half-written file or drop another key.

:class:`Settings` is the typed view of the file: :func:`load_settings` validates,
clamps and migrates every key here, once, so no tab checks a value by hand.
:func:`save_settings` writes typed values back under the file's own keys; keys it
does not know are kept as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fer_desktop.paths import user_data_dir
from training.contract import atomic

SMOOTHING_RANGE = (0.0, 0.95)  # the Live tab's slider shows it in per cent
FOLDER_PACE_RANGE = (0.1, 60.0)  # seconds per photo of a folder source (the pace box too)
WINDOW_SIZE_RANGE = range(400, 10001)  # a size outside it (a corrupt file, a lost monitor) is ignored
LAST_FOLDER_PREFIX = "last_folder_"  # + a dialog's purpose: where its next dialog opens
# Keys of older versions, and the purpose (of the last-folder mechanism) each now belongs to.
LEGACY_LAST_FILE = {"last_video": "live_video"}  # a file: its folder is the one remembered
LEGACY_LAST_FOLDER = {"last_video_folder": "live_folder"}


@dataclass(frozen=True)
class CameraChoice:
    """The camera chosen last: OpenCV's index, and its name where the system lists names."""

    index: int | None = None
    name: str | None = None

    @classmethod
    def from_json(cls, raw: Any) -> CameraChoice:
        if not isinstance(raw, dict):
            return cls()
        index, name = raw.get("index"), raw.get("name")
        return cls(index if _is_int(index) else None, name if isinstance(name, str) else None)

    def to_json(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if self.index is not None:
            values["index"] = self.index
        if self.name is not None:
            values["name"] = self.name
        return values


@dataclass
class Settings:
    """Every setting, valid: the file's values where usable, else the defaults."""

    active_model: str | None = None
    mirror: bool = False
    smoothing: float | None = None  # None: the engine keeps its own default
    camera: CameraChoice = field(default_factory=CameraChoice)
    camera_resolution: str = "Default"
    record_folder: str | None = None  # None: the default recordings folder
    record_video: bool = False
    loop: bool = False
    folder_pace: float = 1.0
    window_size: tuple[int, int] | None = None
    last_folders: dict[str, str] = field(default_factory=dict)  # a dialog's purpose -> its last folder

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Settings:
        """The typed settings of a file's contents: bad values give defaults, numbers are clamped."""
        return cls(
            active_model=_text(raw.get("active_model")),
            mirror=_flag(raw.get("mirror")),
            smoothing=_clamped(raw.get("smoothing"), SMOOTHING_RANGE),
            camera=CameraChoice.from_json(raw.get("camera")),
            camera_resolution=_text(raw.get("camera_resolution")) or "Default",
            record_folder=_text(raw.get("record_folder")),
            record_video=_flag(raw.get("record_video")),
            loop=_flag(raw.get("loop")),
            folder_pace=_clamped(raw.get("folder_pace"), FOLDER_PACE_RANGE) or 1.0,
            window_size=_window_size(raw.get("window_size")),
            last_folders=_last_folders(raw),
        )


def settings_path() -> Path:
    return user_data_dir() / "settings.json"


def read_settings() -> dict[str, Any]:
    """The file's raw contents ({} when missing or malformed)."""
    try:
        data = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load_settings() -> Settings:
    """The settings, validated, clamped and migrated from older files; never fails."""
    return Settings.from_json(read_settings())


def json_values(**values: Any) -> dict[str, Any]:
    """Typed :class:`Settings` fields as the file's keys and values (``None`` stays: it removes a key)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "last_folders":
            out.update({LAST_FOLDER_PREFIX + purpose: folder for purpose, folder in value.items()})
        elif isinstance(value, CameraChoice):
            out[name] = value.to_json()
        elif isinstance(value, tuple):
            out[name] = list(value)
        else:
            out[name] = value
    return out


def save_settings(**values: Any) -> None:
    """Write typed :class:`Settings` fields (``last_folders`` merges); every other key stays.

    Raises ``OSError`` like :func:`update_settings`.
    """
    unknown = set(values) - set(Settings.__dataclass_fields__)
    if unknown:
        raise TypeError(f"not a setting: {', '.join(sorted(unknown))}")
    update_settings(**json_values(**values))


def update_settings(**values: Any) -> None:
    """Set raw ``values`` and keep every other key; ``None`` removes a key.

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


# -- validation ------------------------------------------------------------------
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _flag(value: Any) -> bool:
    return value if isinstance(value, bool) else False


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _clamped(value: Any, bounds: tuple[float, float]) -> float | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:  # NaN
        return None
    return min(max(float(value), bounds[0]), bounds[1])


def _window_size(value: Any) -> tuple[int, int] | None:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(_is_int(v) and v in WINDOW_SIZE_RANGE for v in value)
    ):
        return value[0], value[1]
    return None


def _last_folders(raw: dict[str, Any]) -> dict[str, str]:
    """``last_folder_<purpose>`` keys, and the older keys migrated into them (a newer key wins)."""
    folders: dict[str, str] = {}
    for key, purpose in LEGACY_LAST_FILE.items():
        if path := _text(raw.get(key)):
            folders[purpose] = str(Path(path).parent)
    for key, purpose in LEGACY_LAST_FOLDER.items():
        if path := _text(raw.get(key)):
            folders[purpose] = path
    for key, value in raw.items():
        if key.startswith(LAST_FOLDER_PREFIX) and (folder := _text(value)):
            folders[key[len(LAST_FOLDER_PREFIX) :]] = folder
    return folders
