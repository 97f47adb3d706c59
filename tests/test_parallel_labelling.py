"""``label --jobs N`` and ``--shard K/N`` + ``merge-labels``: the same outputs as one plain run."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from filelock import FileLock

from fer_desktop.cli import main
from fer_desktop.labelling.reuse import lock_path, state_path
from fer_desktop.labelling.walk import Shard
from tests.test_label_cli import _jpeg_bytes, photo_folder  # noqa: F401 (a fixture)


@pytest.fixture
def archive(photo_folder, three_face_frame) -> Path:  # noqa: F811
    """Awkward photos (unreadable, no face, EXIF, 16-bit, unicode names) plus several faces in one."""
    (photo_folder / "nested" / "group.jpg").write_bytes(_jpeg_bytes(three_face_frame))
    # As paths "a/y.jpg" sorts before "a b/x.jpg", as strings after it: the merge must sort as label does.
    (photo_folder / "a b").mkdir()
    (photo_folder / "a b" / "x.jpg").write_bytes(_jpeg_bytes(three_face_frame))
    (photo_folder / "a").mkdir()
    (photo_folder / "a" / "y.jpg").write_bytes(b"")
    return photo_folder


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _label(folder: Path, out: Path, *extra: str) -> None:
    assert main(["label", str(folder), "--out", str(out), *extra]) == 0


@pytest.mark.timeout(200)  # two spawned processes start MediaPipe and the model: seconds each
def test_jobs_two_writes_the_bytes_jobs_one_writes(archive, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    for out, jobs in ((one, "1"), (two, "2")):
        _label(archive, out / "r.csv", "--jobs", jobs, "--json", str(out / "r.json"),
               "--crops-to", str(out / "crops"))  # fmt: skip
    csv_one = (one / "r.csv").read_bytes()
    assert (two / "r.csv").read_bytes() == csv_one
    assert csv_one.count(b"nested/group.jpg") == 3 and b"unreadable" in csv_one
    crops = _files(one / "crops")
    assert len(crops) >= 10 and _files(two / "crops") == crops
    rows = [json.loads((out / "r.json").read_text(encoding="utf-8"))["rows"] for out in (one, two)]
    assert rows[0] == rows[1]
    # The bookkeeping for reuse is the same too: a later --jobs 1 run reuses a --jobs 2 run's rows.
    states = [json.loads(state_path(out / "r.csv").read_text()) for out in (one, two)]
    assert states[0]["files"] == states[1]["files"] and states[0]["model"] == states[1]["model"]


def test_shards_merged_in_any_order_give_the_whole_folders_csv(archive, tmp_path, capsys):
    whole = tmp_path / "whole.csv"
    _label(archive, whole)
    parts = [tmp_path / f"part{k}.csv" for k in (1, 2, 3)]
    for k, part in enumerate(parts, start=1):
        _label(archive, part, "--shard", f"{k}/3")
    sizes = [len(part.read_text(encoding="utf-8").splitlines()) - 1 for part in parts]
    assert all(n > 0 for n in sizes) and sum(sizes) == len(whole.read_text(encoding="utf-8").splitlines()) - 1

    merged = tmp_path / "merged.csv"
    merged.write_text("an earlier file")
    state_path(merged).write_text("{}")  # an earlier label run's bookkeeping: no longer true
    assert main(["merge-labels", str(merged), str(parts[2]), str(parts[0]), str(parts[1])]) == 0
    assert merged.read_bytes() == whole.read_bytes()
    assert "rows from 3 parts written" in capsys.readouterr().err
    # The parts' bookkeeping merged: the next run over the whole folder labels nothing again.
    assert json.loads(state_path(merged).read_text()) == json.loads(state_path(whole).read_text())
    _label(archive, merged)
    photos = len({line.split(",")[0] for line in whole.read_text(encoding="utf-8").splitlines()[1:]})
    assert f"{photos} photos reused from the previous run" in capsys.readouterr().err
    assert merged.read_bytes() == whole.read_bytes()

    state_path(parts[1]).unlink()  # a part without bookkeeping: the old state must not survive
    assert main(["merge-labels", str(merged), *map(str, parts)]) == 0
    assert merged.read_bytes() == whole.read_bytes() and not state_path(merged).exists()
    assert "will label every photo again" in capsys.readouterr().err


def test_shards_split_the_sorted_list_without_overlap():
    files = [Path(f"f{i:02d}") for i in range(10)]
    parts = [Shard(k, 4).select(files) for k in range(1, 5)]
    assert sorted(f for part in parts for f in part) == files
    assert parts[0] == [Path("f00"), Path("f04"), Path("f08")]
    assert Shard(5, 5).select(files[:3]) == []  # more parts than photos: an empty part, still valid
    assert Shard.parse(" 2/8") == Shard(2, 8)


@pytest.mark.parametrize(
    ("value", "message"),
    [("0/3", "between 1 and 3"), ("4/3", "between 1 and 3"), ("1/0", "1 or more"), ("2", "is not K/N"),
     ("a/b", "is not K/N"), ("-1/3", "is not K/N")],
)  # fmt: skip
def test_a_bad_shard_is_refused_by_name_with_exit_code_2(tmp_path, capsys, value, message):
    with pytest.raises(SystemExit) as stop:
        main(["label", str(tmp_path), "--out", str(tmp_path / "r.csv"), f"--shard={value}"])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_a_bad_jobs_count_or_model_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["label", str(tmp_path), "--out", str(tmp_path / "r.csv"), "--jobs", "0"])
    assert stop.value.code == 2 and "less than 1" in capsys.readouterr().err
    cv2.imwrite(str(tmp_path / "photo.png"), np.zeros((32, 32, 3), np.uint8))  # a folder label accepts
    args = ["label", str(tmp_path), "--out", str(tmp_path / "r.csv"), "--jobs", "2"]
    assert main([*args, "--model", str(tmp_path / "none.keras")]) == 1
    assert "none.keras" in capsys.readouterr().err and not (tmp_path / "r.csv").exists()


def _part(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\r\n".join([header, *rows]) + "\r\n", encoding="utf-8")
    return path


def test_merge_refuses_mismatched_parts_and_leaves_the_output_alone(tmp_path, capsys):
    from fer_desktop.labelling.rows import LABEL_COLUMNS, LabelRow

    header = ",".join(LABEL_COLUMNS)

    def no_face(name: str) -> str:
        return ",".join(LabelRow(name, "no face").to_csv())

    a = _part(tmp_path / "a.csv", header, no_face("x.jpg"))
    b = _part(tmp_path / "b.csv", header, no_face("y.jpg"), no_face("x.jpg"))
    other = _part(tmp_path / "other.csv", header + ",extra", no_face("z.jpg") + ",")
    foreign = _part(tmp_path / "foreign.csv", "name,score", "x,1")
    out = tmp_path / "out.csv"
    out.write_text("keep me")
    cases = [
        ([a, b], "x.jpg is in both"),
        ([a, other], "columns differ"),
        ([foreign], "not a `fer-desktop label` CSV"),
        ([a, tmp_path / "missing.csv"], "no such part"),
    ]
    for parts, message in cases:
        assert main(["merge-labels", str(out), *map(str, parts)]) == 1
        assert message in capsys.readouterr().err
        assert out.read_text() == "keep me"
    with FileLock(lock_path(out)):  # a label run writing the same output
        assert main(["merge-labels", str(out), str(a)]) == 1
    assert "another labelling run" in capsys.readouterr().err and out.read_text() == "keep me"
    with FileLock(lock_path(a)):  # a part being relabelled: its rows and bookkeeping may not match
        assert main(["merge-labels", str(out), str(a)]) == 1
    assert f"writing {a}" in capsys.readouterr().err and out.read_text() == "keep me"
    assert main(["merge-labels", str(out), str(a)]) == 0
    assert out.read_bytes() == a.read_bytes()


def test_label_on_a_dataset_of_crops_with_jobs(tmp_path, face_crop):
    root = tmp_path / "crops"
    root.mkdir()
    for i in range(4):
        cv2.imwrite(str(root / f"c{i}.png"), cv2.resize(face_crop, (48 + i, 48)))
    _label(root, tmp_path / "one.csv", "--no-detect")
    _label(root, tmp_path / "two.csv", "--no-detect", "--jobs", "2")
    assert (tmp_path / "two.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
