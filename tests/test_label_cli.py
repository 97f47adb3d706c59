"""``fer-desktop label`` on a folder of awkward photos the tests build."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from fer_desktop.cli import main
from fer_desktop.labelling.labeller import PhotoLabeller
from fer_desktop.labelling.reuse import lock_path, state_path
from fer_desktop.labelling.rows import LABEL_COLUMNS, LabelRow
from fer_desktop.labelling.runs import label_folder
from training.contract.labels import CLASS_NAMES

UNICODE_NAME = "фото_лица_ü.png"


def _jpeg_bytes(bgr: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", bgr)
    assert ok
    return buf.tobytes()


@pytest.fixture
def photo_folder(tmp_path, astronaut_bgr, one_face_frame) -> Path:
    from skimage import data

    root = tmp_path / "photos"
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "astronaut.jpg").write_bytes(_jpeg_bytes(astronaut_bgr))
    (root / "nested" / "frame.jpg").write_bytes(_jpeg_bytes(one_face_frame))
    (root / "coffee.jpg").write_bytes(_jpeg_bytes(np.ascontiguousarray(data.coffee()[:, :, ::-1])))
    full = _jpeg_bytes(astronaut_bgr)
    (root / "truncated.jpg").write_bytes(full[: len(full) // 3])
    (root / "empty.jpg").write_bytes(b"")
    (root / "notes.jpg").write_text("this is a text file, not a photo")
    (root / "readme.txt").write_text("not an image either")
    rgb = Image.fromarray(cv2.cvtColor(one_face_frame, cv2.COLOR_BGR2RGB))
    # Stored sideways with EXIF "rotate 90 CW to display": only an EXIF-aware reader sees the face upright.
    exif = Image.Exif()
    exif[0x0112] = 6
    rgb.rotate(90, expand=True).save(root / "rotated.jpg", exif=exif)
    rgba = rgb.convert("RGBA")
    rgba.putalpha(200)
    rgba.save(root / "nested" / "alpha.png")
    gray16 = cv2.cvtColor(one_face_frame, cv2.COLOR_BGR2GRAY).astype(np.uint16) * 257
    cv2.imwrite(str(root / "nested" / "deeper" / "sixteen.png"), gray16)
    rgb.save(root / "nested" / UNICODE_NAME)
    rgb.convert("P").save(root / "palette.png")
    return root


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_label_folder_rows_statuses_and_untouched_sources(photo_folder, tmp_path, capsys):
    before = _snapshot(photo_folder)
    out, js, crops = tmp_path / "results.csv", tmp_path / "results.json", tmp_path / "crops"
    assert (
        main(["label", str(photo_folder), "--out", str(out), "--json", str(js), "--crops-to", str(crops)])
        == 0
    )
    assert _snapshot(photo_folder) == before

    rows = _read_rows(out)
    assert list(rows[0].keys())[: len(LABEL_COLUMNS)] == LABEL_COLUMNS
    by_path: dict[str, list[dict]] = {}
    for r in rows:
        by_path.setdefault(r["path"], []).append(r)
    faces = {
        "astronaut.jpg", "nested/frame.jpg", "rotated.jpg", "nested/alpha.png",
        "nested/deeper/sixteen.png", f"nested/{UNICODE_NAME}", "palette.png",
    }  # fmt: skip
    for path in faces:
        (row,) = by_path[path]
        assert row["status"] == "ok", (path, row["status"])
        assert row["emotion"] in CLASS_NAMES and row["face"] == "0"
        assert sum(float(row[c]) for c in CLASS_NAMES) == pytest.approx(1.0, abs=1e-3)
    assert by_path["coffee.jpg"][0]["status"] == "no face"
    assert by_path["coffee.jpg"][0]["x"] == ""
    assert by_path["empty.jpg"][0]["status"] == "unreadable: empty file"
    assert by_path["notes.jpg"][0]["status"].startswith("unreadable: not an image")
    assert by_path["readme.txt"][0]["status"].startswith("unreadable: not an image")
    assert by_path["truncated.jpg"][0]["status"].startswith("unreadable: corrupt or truncated")

    # EXIF honoured: the box lies in the upright 640x480 frame, not in the stored 480x640 one.
    rotated = by_path["rotated.jpg"][0]
    assert int(rotated["x"]) + int(rotated["w"]) <= 640 and int(rotated["y"]) + int(rotated["h"]) <= 480
    upright = by_path["nested/frame.jpg"][0]
    assert abs(int(rotated["x"]) - int(upright["x"])) < 15 and abs(int(rotated["y"]) - int(upright["y"])) < 15

    report = json.loads(js.read_text(encoding="utf-8"))
    assert report["summary"]["faces"] == len(faces) and report["summary"]["no_face"] == 1
    crop_files = sorted(crops.rglob("*.png"))
    assert len(crop_files) == len(faces)
    assert all(cv2.imread(str(p)).shape == (96, 96, 3) for p in crop_files)
    assert {p.parent.name for p in crop_files} <= set(CLASS_NAMES)
    err = capsys.readouterr().err
    assert "photos:" in err and "unreadable" in err

    # The crops are a class-folder dataset the training loaders read.
    from training.datasets import load_class_folders

    assert len(load_class_folders(crops)) == len(faces)


def test_second_run_reuses_results_and_a_new_model_does_not(photo_folder, tmp_path, engine, model_path):
    labeller = PhotoLabeller(engine.get().classifier, engine.get().detector)
    out = tmp_path / "r.csv"
    _, s1 = label_folder(photo_folder, labeller, model_key="m1", out_csv=out)
    first = out.read_bytes()
    _, s2 = label_folder(photo_folder, labeller, model_key="m1", out_csv=out)
    assert s2.reused == s1.photos and out.read_bytes() == first
    (photo_folder / "astronaut.jpg").write_bytes((photo_folder / "nested" / "frame.jpg").read_bytes())
    os.utime(photo_folder / "astronaut.jpg", ns=(1, 1))
    _, s3 = label_folder(photo_folder, labeller, model_key="m1", out_csv=out)
    assert s3.reused == s1.photos - 1
    notes = []
    _, s4 = label_folder(photo_folder, labeller, model_key="m2", out_csv=out, log=notes.append)
    assert s4.reused == 0 and "another model" in notes[0]


def test_interrupted_run_leaves_no_complete_looking_output(photo_folder, tmp_path, engine):
    labeller = PhotoLabeller(engine.get().classifier, engine.get().detector)
    out, js = tmp_path / "out" / "r.csv", tmp_path / "out" / "r.json"

    def crash(done, total, rows):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        label_folder(photo_folder, labeller, model_key="m", out_csv=out, json_out=js, on_progress=crash)
    leftovers = list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else []
    assert [p for p in leftovers if p != lock_path(out)] == []  # the empty lock file is no output
    _, summary = label_folder(photo_folder, labeller, model_key="m", out_csv=out, should_cancel=lambda: True)
    assert summary.cancelled and not out.exists() and not state_path(out).exists()


def test_no_detect_treats_each_image_as_a_face(tmp_path, face_crop, capsys):
    root = tmp_path / "crops"
    root.mkdir()
    for i in range(3):
        cv2.imwrite(str(root / f"c{i}.png"), cv2.resize(face_crop, (48, 48)))
    out = tmp_path / "c.csv"
    assert main(["label", str(root), "--out", str(out), "--no-detect"]) == 0
    rows = _read_rows(out)
    assert [r["status"] for r in rows] == ["ok"] * 3
    assert all((r["x"], r["y"], r["w"], r["h"]) == ("0", "0", "48", "48") for r in rows)
    assert {r["face_source"] for r in rows} == {"whole image"}

    # A CSV from before the model_confidence and face_source columns is reused; the options give the source.
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=LABEL_COLUMNS[:-2], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    assert main(["label", str(root), "--out", str(out), "--no-detect"]) == 0
    assert "3 photos reused" in capsys.readouterr().err
    assert {r["face_source"] for r in _read_rows(out)} == {"whole image"}


def test_missing_folder_is_an_error(tmp_path, capsys):
    assert main(["label", str(tmp_path / "nope"), "--out", str(tmp_path / "x.csv")]) == 1
    assert "not a folder" in capsys.readouterr().err


def test_decompression_bomb_is_refused(tmp_path):
    from training.contract.photos import PhotoError, read_photo

    bomb = tmp_path / "bomb.png"
    buf = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buf, "PNG")  # 144 MP, a few kB on disk
    bomb.write_bytes(buf.getvalue())
    with pytest.raises(PhotoError, match="too large"):
        read_photo(bomb)


def test_files_listed_skip_hidden_folders_and_our_outputs(tmp_path):
    from fer_desktop.labelling.walk import iter_files, list_files

    for rel in ("b/2.jpg", "a/1.png", ".thumbs/x.jpg", "a/.hidden.jpg", "out/crops/c.png", "results.csv"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    outputs = [tmp_path / "out", tmp_path / "results.csv"]
    assert list_files(tmp_path, outputs) == [tmp_path / "a" / "1.png", tmp_path / "b" / "2.jpg"]
    assert sorted(iter_files(tmp_path, outputs)) == list_files(tmp_path, outputs)
    assert next(iter_files(tmp_path, outputs)) in list_files(tmp_path, outputs)  # usable lazily


def test_checked_only_crops_are_the_faces_a_person_checked_with_their_origin(tmp_path, face_crop, capsys):
    from fer_desktop.labelling.corrections import CorrectionStore
    from training.contract.label_origin import read_origins

    root = tmp_path / "crops"
    root.mkdir()
    for i in range(3):
        cv2.imwrite(str(root / f"c{i}.png"), cv2.resize(face_crop, (48, 48)))
    out, dest = tmp_path / "c.csv", tmp_path / "dataset"
    assert main(["label", str(root), "--out", str(out), "--checked-only", "--no-detect"]) == 1
    assert "give --crops-to DIR too" in capsys.readouterr().err
    assert main(["label", str(root), "--out", str(out), "--no-detect"]) == 0

    # In the Label tab a person confirms one face and corrects another (saved for this folder).
    store = CorrectionStore(root)
    faces = [LabelRow.from_csv(r) for r in _read_rows(out)]
    store.attach(faces)
    store.confirm([faces[0]])
    store.set_label([faces[1]], "surprise" if faces[1].emotion != "surprise" else "sad")

    args = ["label", str(root), "--out", str(out), "--no-detect", "--crops-to", str(dest), "--checked-only"]
    assert main(args) == 0  # the photos are reused from the run before: their crops are cut again
    assert "2 face crops (faces a person checked) written" in capsys.readouterr().err
    origins = read_origins(dest)
    assert sorted(origins.values()) == ["confirmed", "corrected"]
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.png")) == sorted(origins)
    assert f"{faces[1].emotion}/c1.png__face0.png" in origins
    assert all(r["label_source"] == "model" for r in _read_rows(out))  # the CSV stays the model's answers

    # An export of every face into that folder first: a later checked-only export names what it left.
    every = tmp_path / "every"
    assert main(["label", str(root), "--out", str(out), "--no-detect", "--crops-to", str(every)]) == 0
    capsys.readouterr()
    assert main([*args[:-3], "--crops-to", str(every), "--checked-only"]) == 0
    assert "note: an earlier export left 1 crop there with the model's own labels" in capsys.readouterr().err


def test_a_folder_none_of_whose_files_can_be_read_says_so(tmp_path, capsys):
    root = tmp_path / "broken"
    root.mkdir()
    (root / "a.jpg").write_bytes(b"")
    (root / "b.jpg").write_text("not a photo")
    (root / "c.png").write_text("not a photo either")
    out = tmp_path / "b.csv"
    assert main(["label", str(root), "--out", str(out), "--no-detect"]) == 1
    err = capsys.readouterr().err
    assert "error: none of the 3 files could be read: 2 not an image, 1 empty file" in err
    assert [r["status"] for r in _read_rows(out)] == [
        "unreadable: empty file",
        *["unreadable: not an image (or a format that cannot be read)"] * 2,
    ]

    cv2.imwrite(str(root / "d.png"), np.full((48, 48, 3), 128, np.uint8))
    assert main(["label", str(root), "--out", str(out), "--no-detect"]) == 0
    assert "warning: 3 of the 4 files could not be read" in capsys.readouterr().err
