"""The calibration store: throttled, de-duplicated, capped captures that ``personalize`` reads."""

from __future__ import annotations

import numpy as np
import pytest

from fer_desktop.personal import captures as calibration
from fer_desktop.personal.captures import CalibrationStore
from tests.conftest import FakeClock


@pytest.fixture
def store(tmp_path):
    return CalibrationStore(tmp_path / "calibration", clock=FakeClock())


def test_captures_are_throttled_deduplicated_and_capped(store, face_crop, monkeypatch):
    clock = store.clock
    assert store.offer("happy", face_crop) is not None
    clock.now += 0.1
    assert store.offer("happy", np.roll(face_crop, 40, axis=1)) is None  # too soon
    clock.now += 1.0
    assert store.offer("happy", face_crop) is None  # the same face again adds nothing
    assert store.offer("happy", np.roll(face_crop, 40, axis=1)) is not None
    assert store.counts()["happy"] == 2 and store.total() == 2
    monkeypatch.setattr(calibration, "MAX_PER_EMOTION", 2)
    clock.now += 1.0
    assert store.offer("happy", np.roll(face_crop, 80, axis=1)) is None  # over the cap
    assert store.offer("sad", np.roll(face_crop, 80, axis=1)) is not None
    with pytest.raises(ValueError, match="unknown emotion"):
        store.offer("smug", face_crop)


def test_delete_one_and_all_and_personalize_reads_the_folder(store, face_crop):
    from fer_desktop.personal.fine_tune import collect_photos

    for i in range(3):
        store.clock.now += 1.0
        store.offer("neutral", np.roll(face_crop, 30 * i, axis=1))
    photos = store.photos("neutral")
    store.delete(photos[0])
    assert store.photos("neutral") == photos[1:]
    with pytest.raises(ValueError, match="not a calibration photo"):
        store.delete(store.root.parent / "elsewhere.png")
    found = collect_photos(store.root, detector=None)
    assert found.counts() == {"neutral": 2} and found.images.shape == (2, 96, 96, 3)
    store.delete_all()
    assert not store.root.exists() and store.total() == 0


def test_photos_set_aside_are_kept_out_of_use_until_deleted_with_the_rest(store, face_crop):
    from fer_desktop.personal.fine_tune import collect_photos

    for i, emotion in enumerate(["happy", "happy", "sad"]):
        store.clock.now += 1.0
        store.offer(emotion, np.roll(face_crop, 30 * i, axis=1))
    kept = sorted(p.read_bytes() for e in ("happy", "sad") for p in store.photos(e))
    assert store.set_aside() == 3
    assert store.total() == 0 and store.set_aside_total() == 3
    aside = sorted(p.read_bytes() for p in (store.root / calibration.EARLIER).glob("*/*/*.png"))
    assert aside == kept  # moved whole, not re-encoded
    store.clock.now += 1.0
    store.offer("sad", face_crop)  # a new round starts from none, and the fine-tune sees only it
    assert collect_photos(store.root, detector=None).counts() == {"sad": 1}
    store.delete_all()
    assert store.set_aside_total() == 0 and not store.root.exists()
