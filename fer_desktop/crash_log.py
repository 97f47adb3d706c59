"""The app's log file: unexpected errors land here, in the per-user data folder.

A rotating file (a few hundred kB, three old copies) so a user can send it along
with a report, and so it never grows without bound.
"""

from __future__ import annotations

import logging
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from fer_desktop.paths import user_data_dir

LOG_FILE_NAME = "fer-desktop.log"
MAX_BYTES = 512 * 1024
BACKUPS = 3

log = logging.getLogger("fer_desktop")


class _AppLogFile(RotatingFileHandler):
    """The handler this module installs (told apart from any a host program adds)."""


def log_path() -> Path:
    return user_data_dir() / "logs" / LOG_FILE_NAME


def install_log_file() -> Path | None:
    """Send the app's log records to the rotating file (once); None when it cannot be created."""
    path = log_path()
    for handler in list(log.handlers):
        if isinstance(handler, _AppLogFile):
            if Path(handler.baseFilename) == path.resolve():
                return path
            log.removeHandler(handler)  # the data folder moved (tests, FER_DESKTOP_DATA_DIR)
            handler.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _AppLogFile(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError:
        return None  # a read-only home must not stop the app
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    log.addHandler(handler)
    if log.level == logging.NOTSET or log.level > logging.INFO:
        log.setLevel(logging.INFO)
    return path


def record_exception(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None, where: str = ""
) -> str:
    """Log an unexpected exception with its traceback; returns the traceback text."""
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    log.error("unexpected error%s:\n%s", f" in {where}" if where else "", text.rstrip())
    return text
