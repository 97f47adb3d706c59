"""Atomic file writes: a crash or Ctrl-C never leaves a complete-looking half file."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_path(dest: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; move it over ``dest`` only on success.

    The temporary name is hidden and holds ``.part``, so an interrupted write
    never looks like a finished file; it is created by the caller with normal
    permissions (umask), unlike ``mkstemp``'s owner-only files.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part{dest.suffix}")
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(dest: str | Path, mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """Open a temporary file for writing that replaces ``dest`` when closed cleanly."""
    with atomic_path(dest) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def write_text(dest: str | Path, text: str) -> None:
    with atomic_open(dest, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_json(dest: str | Path, data: Any) -> None:
    write_text(dest, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
