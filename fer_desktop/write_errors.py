"""Plain words for a failed write: a full disk or a read-only folder, not an errno."""

from __future__ import annotations

import errno
from pathlib import Path

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "no permission to write there",
    errno.EPERM: "no permission to write there",
    errno.EROFS: "the folder is on a read-only disk",
}


def describe_write_error(exc: OSError, dest: str | Path) -> str:
    """``cannot write DEST: REASON``, the reason in words where the error is a common one."""
    reason = _REASONS.get(exc.errno or -1) or exc.strerror or str(exc)
    return f"cannot write {dest}: {reason}"
