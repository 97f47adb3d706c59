"""Which files a labelling run looks at: the folder walk, a shard of it, and each file's change key."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Shard:
    """The ``index``-th (from 1) of ``count`` parts of a folder: every ``count``-th photo of its
    sorted file list, so a cluster's job array can split an archive without talking."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"K/N"``; ValueError saying what is wrong otherwise."""
        k, sep, n = text.partition("/")
        if not sep or not k.strip().isdigit() or not n.strip().isdigit():
            raise ValueError(f"{text!r} is not K/N (e.g. 2/8: the 2nd of 8 parts)")
        shard = cls(int(k), int(n))
        if shard.count < 1:
            raise ValueError(f"{text!r}: the number of parts must be 1 or more")
        if not 1 <= shard.index <= shard.count:
            raise ValueError(f"{text!r}: the part must be between 1 and {shard.count}")
        return shard

    def select(self, files: list[Path]) -> list[Path]:
        return files[self.index - 1 :: self.count]


def list_files(root: Path, exclude: list[Path]) -> list[Path]:
    """Every non-hidden file under ``root`` (sorted), except our own outputs."""
    return sorted(iter_files(root, exclude))


def iter_files(root: Path, exclude: list[Path]) -> Iterator[Path]:
    """:func:`list_files` in walk order, lazily: a caller that needs one file stops at the first,
    and hidden folders are never entered."""
    excluded = [e.resolve() for e in exclude]
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            f = Path(folder) / name
            if name.startswith(".") or not f.is_file():
                continue
            resolved = f.resolve()
            if any(resolved == e or e in resolved.parents for e in excluded):
                continue
            yield f


def file_key(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]
