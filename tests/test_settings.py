"""The shared settings file: keys survive each other's writes; values are typed, clamped and migrated."""

from __future__ import annotations

import json

import pytest

from fer_desktop.models import catalogue as model_store
from fer_desktop.recent_folders import last_folder, remember_folder
from fer_desktop.settings import (
    FOLDER_PACE_RANGE,
    CameraChoice,
    Settings,
    load_settings,
    read_settings,
    save_settings,
    settings_path,
    update_settings,
)


def test_update_keeps_other_keys_and_none_removes(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DESKTOP_DATA_DIR", str(tmp_path))
    update_settings(mirror=True, smoothing=0.4)
    update_settings(last_label_folder="/photos")
    assert read_settings() == {"mirror": True, "smoothing": 0.4, "last_label_folder": "/photos"}
    update_settings(smoothing=None)
    assert "smoothing" not in read_settings()
    assert read_settings().get("missing", 7) == 7


def test_malformed_file_reads_as_empty_and_is_replaced_on_write(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DESKTOP_DATA_DIR", str(tmp_path))
    settings_path().write_text("[1, 2", encoding="utf-8")
    assert read_settings() == {}
    update_settings(mirror=False)
    assert json.loads(settings_path().read_text(encoding="utf-8")) == {"mirror": False}


def test_active_model_is_one_key_among_others(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DESKTOP_DATA_DIR", str(tmp_path))
    model = tmp_path / "models" / "mine" / "model.keras"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"x")
    update_settings(window_size=[1200, 800])
    model_store.set_active_model(model)
    assert model_store.active_model_path() == model.resolve()
    assert read_settings()["window_size"] == [1200, 800]


def test_values_are_typed_clamped_and_bad_ones_give_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DESKTOP_DATA_DIR", str(tmp_path))
    update_settings(
        mirror="yes",  # not a bool
        smoothing=3.0,  # above the slider's 95 %
        folder_pace=-1,
        camera={"index": True, "name": "USB Webcam"},  # a bool is no camera number
        camera_resolution=640,
        window_size=[100, 800],  # below any usable window
        record_video=True,
        active_model="",
    )
    settings = load_settings()
    assert settings.mirror is False and settings.record_video is True
    assert settings.smoothing == 0.95 and settings.folder_pace == FOLDER_PACE_RANGE[0]
    assert settings.camera == CameraChoice(None, "USB Webcam")
    assert settings.camera_resolution == "Default" and settings.window_size is None
    assert settings.active_model is None
    update_settings(smoothing=-0.5, window_size=[1200, 800], camera={"index": 3})
    settings = load_settings()
    assert settings.smoothing == 0.0 and settings.window_size == (1200, 800)
    assert settings.camera == CameraChoice(3, None)


def test_a_missing_or_malformed_file_gives_the_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DESKTOP_DATA_DIR", str(tmp_path))
    assert load_settings() == Settings()
    for text in ("{ not json", "[1, 2]", '"text"', ""):
        settings_path().write_text(text, encoding="utf-8")
        assert load_settings() == Settings()


def test_an_older_files_last_video_keys_become_per_purpose_last_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DESKTOP_DATA_DIR", str(tmp_path))
    videos, photos = tmp_path / "videos", tmp_path / "photos"
    videos.mkdir()
    photos.mkdir()
    settings_path().write_text(
        json.dumps({"last_video": str(videos / "a.mp4"), "last_video_folder": str(photos), "mirror": True}),
        encoding="utf-8",
    )
    assert load_settings().last_folders == {"live_video": str(videos), "live_folder": str(photos)}
    assert last_folder("live_video") == str(videos) and last_folder("live_folder") == str(photos)
    remember_folder("live_video", photos / "b.mp4")  # a newer choice wins over the old key
    assert last_folder("live_video") == str(photos.resolve())
    assert read_settings()["mirror"] is True  # the rest of the file is kept


def test_typed_values_are_saved_under_the_files_own_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DESKTOP_DATA_DIR", str(tmp_path))
    update_settings(someone_elses_key=1)
    save_settings(
        camera=CameraChoice(2, "USB Webcam"), window_size=(900, 700), last_folders={"train_data": "/d"}
    )
    assert read_settings() == {
        "someone_elses_key": 1,
        "camera": {"index": 2, "name": "USB Webcam"},
        "window_size": [900, 700],
        "last_folder_train_data": "/d",
    }
    assert load_settings().camera == CameraChoice(2, "USB Webcam")
    with pytest.raises(TypeError, match="not a setting"):
        save_settings(no_such_setting=1)
