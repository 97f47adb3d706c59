"""Calibration photos: one person's face crops per emotion, captured live, kept for ``personalize``.

Plain Python (the Live tab's calibration panel is a thin view over it).  The
crops are stored only while the user captures them, as PNGs in
``<user data>/calibration/<emotion>/`` (the class-folder layout that
``fer-desktop personalize`` reads), and deleted when the user asks.  Capture
is throttled (a few per second), skips near-duplicates (a still face gives
nothing new) and stops at a cap per emotion.
"""

from __future__ import annotations

import contextlib
import shutil
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.paths import user_data_dir
from training.contract import atomic
from training.contract.labels import CLASS_NAMES

MAX_PER_EMOTION = 30
MIN_INTERVAL_S = 0.3  # about three captures a second
DUPLICATE_DIFF = 4.0  # mean absolute grey-level difference (0-255) below which a crop adds nothing
EARLIER = ".earlier"  # <root>/.earlier/<time>/<emotion>/: set aside, kept; hidden from personalize


def calibration_dir() -> Path:
    return user_data_dir() / "calibration"


def check_dir(calibration_root: Path | None = None) -> Path:
    """The check photos of a guided calibration, beside the calibration photos and never inside them:
    ``personalize`` does not read them, so a before/after figure on them is on frames never trained on."""
    return (Path(calibration_root) if calibration_root else calibration_dir()).with_name("calibration_check")


def _signature(crop: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    return cv2.resize(gray, (24, 24), interpolation=cv2.INTER_AREA).astype(np.float32)


class CalibrationStore:
    """The captured crops of one person, per emotion, on disk."""

    def __init__(self, root: Path | None = None, clock=time.monotonic):
        self.root = Path(root) if root else calibration_dir()
        self.clock = clock
        self._last_time: float | None = None
        self._last_signature: dict[str, np.ndarray] = {}

    def photos(self, emotion: str) -> list[Path]:
        folder = self.root / emotion
        return sorted(folder.glob("*.png")) if folder.is_dir() else []

    def counts(self) -> dict[str, int]:
        return {e: len(self.photos(e)) for e in CLASS_NAMES}

    def total(self) -> int:
        return sum(self.counts().values())

    def is_full(self, emotion: str) -> bool:
        """The emotion has its ``MAX_PER_EMOTION`` photos: ``offer`` refuses more until some are deleted."""
        return len(self.photos(emotion)) >= MAX_PER_EMOTION

    def forget(self, emotion: str | None = None) -> None:
        """Forget the last crop stored of ``emotion`` (None: of every emotion), once its photos are
        deleted: the next crop is not compared with a photo that is gone."""
        if emotion is None:
            self._last_signature.clear()
        else:
            self._last_signature.pop(emotion, None)

    def offer(self, emotion: str, crop: np.ndarray, now: float | None = None) -> Path | None:
        """Store ``crop`` as a photo of ``emotion`` unless too soon, a near-duplicate or over the cap.

        ``now``: the caller's time (a guided run's clock); None: this store's clock."""
        if emotion not in CLASS_NAMES:
            raise ValueError(f"unknown emotion {emotion!r}")
        if crop is None or crop.size == 0:
            return None
        now = self.clock() if now is None else now
        if self._last_time is not None and now - self._last_time < MIN_INTERVAL_S:
            return None
        existing = self.photos(emotion)
        if len(existing) >= MAX_PER_EMOTION:
            return None
        signature = _signature(crop)
        previous = self._last_signature.get(emotion)
        if previous is not None and float(np.mean(np.abs(signature - previous))) < DUPLICATE_DIFF:
            return None
        index = 1 + max((int(p.stem) for p in existing if p.stem.isdigit()), default=0)
        dest = self.root / emotion / f"{index:04d}.png"
        with atomic.atomic_path(dest) as tmp:
            if not cv2.imwrite(str(tmp), crop):
                raise OSError(f"cannot write {dest}")
        self._last_time, self._last_signature[emotion] = now, signature
        return dest

    def delete(self, path: Path) -> None:
        self.delete_photos([path])

    def delete_photos(self, paths: Iterable[str | Path]) -> int:
        """Delete the chosen photos, all or none; returns how many were deleted.

        Every path is checked first: a path that is not a photo of this store (outside it,
        not in an emotion folder, a link that leads elsewhere) raises ``ValueError`` before
        anything is deleted. The photos are then renamed aside (hidden, no longer ``.png``)
        and only once all are aside removed; a rename that fails puts the others back and
        raises the ``OSError``, so a failure leaves the photos as they were.
        """
        chosen = [self._own_photo(Path(p)) for p in paths]
        present = [p for p in dict.fromkeys(chosen) if p.is_file()]  # one already gone: nothing to do
        aside: list[tuple[Path, Path]] = []
        try:
            for path in present:
                hidden = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.deleting")
                path.rename(hidden)
                aside.append((path, hidden))
        except OSError:
            for path, hidden in reversed(aside):
                with contextlib.suppress(OSError):
                    hidden.rename(path)
            raise
        for _path, hidden in aside:
            hidden.unlink(missing_ok=True)
        return len(aside)

    def _own_photo(self, path: Path) -> Path:
        """``path`` resolved, if it is a photo of this store: ``<root>/<emotion>/<name>.png``."""
        resolved = path.resolve()
        folder = resolved.parent
        in_store = folder.name in CLASS_NAMES and folder.parent == self.root.resolve()
        if resolved.suffix != ".png" or not in_store:
            raise ValueError(f"{path} is not a calibration photo")
        return resolved

    def set_aside(self) -> int:
        """Move every photo to ``<root>/.earlier/<time>/<emotion>/``; returns how many.

        A new guided check round takes the place of the previous one's photos without
        deleting them (they are the user's face): only "Delete my calibration photos" does.
        Each emotion folder moves by one rename, so a failure leaves it whole where it was.
        """
        dest = self.root / EARLIER / time.strftime("%Y%m%d-%H%M%S")
        while dest.exists():
            dest = dest.with_name(f"{dest.name}-{uuid.uuid4().hex[:4]}")
        moved = 0
        for emotion in CLASS_NAMES:
            count = len(self.photos(emotion))
            if count:
                dest.mkdir(parents=True, exist_ok=True)
                (self.root / emotion).rename(dest / emotion)
                moved += count
        self.forget()
        return moved

    def set_aside_total(self) -> int:
        """How many photos earlier rounds set aside (counted by "Delete my calibration photos")."""
        earlier = self.root / EARLIER
        return sum(1 for _ in earlier.glob("*/*/*.png")) if earlier.is_dir() else 0

    def delete_all(self) -> None:
        """Delete every calibration photo (the user's "Delete my calibration photos"), those set
        aside too."""
        shutil.rmtree(self.root, ignore_errors=True)
        self._last_signature.clear()
        self._last_time = None
