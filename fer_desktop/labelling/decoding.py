"""Photos decoded a few ahead on helper threads, and results kept in their items' order."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from training.contract.photos import PhotoError, read_photo

T = TypeVar("T")


def decode(path: Path) -> np.ndarray | PhotoError:
    """A photo's pixels, or the error saying why it has none: the one way a photo is read for labelling."""
    try:
        return read_photo(path)
    except PhotoError as exc:
        return exc


def decoded_photos(files: list[Path], workers: int = 2, ahead: int = 8) -> Iterator[tuple[Path, object]]:
    """Decode on helper threads (Pillow releases the GIL), in order, a few photos ahead."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="photo-decode") as pool:
        yield from in_order(lambda f: pool.submit(decode, f), files, ahead)


def in_order(submit: Callable[[T], Future], items: Iterable[T], ahead: int) -> Iterator[tuple[T, Any]]:
    """Each item with its result, in the items' order, with at most ``ahead`` submitted and unread.

    Bounded so that a cancelled run stops soon; what is still pending is cancelled on close.
    """
    pending: deque[tuple[T, Future]] = deque()
    it = iter(items)
    try:
        for item in it:
            pending.append((item, submit(item)))
            if len(pending) >= ahead:
                break
        while pending:
            item, fut = pending.popleft()
            for nxt in it:
                pending.append((nxt, submit(nxt)))
                break
            yield item, fut.result()
    finally:
        for _, fut in pending:
            fut.cancel()
