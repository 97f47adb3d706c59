"""Each file dialog starts in the last folder used for the same purpose, across runs."""

from __future__ import annotations

from pathlib import Path

from fer_desktop.recent_folders import last_folder, remember_folder


def test_the_last_folder_is_remembered_per_purpose_and_a_vanished_one_gives_home(tmp_path):
    photos, exports = tmp_path / "photos", tmp_path / "exports"
    photos.mkdir()
    exports.mkdir()
    assert last_folder("label_photos") == str(Path.home())
    remember_folder("label_photos", photos)
    remember_folder("label_export", exports / "labels.csv")  # a file to write: its folder
    assert last_folder("label_photos") == str(photos.resolve())
    assert last_folder("label_export") == str(exports.resolve())
    photos.rmdir()
    assert last_folder("label_photos") == str(Path.home())
