"""Cards tell a model's whole story: the steps before a warm start, and evaluations added later."""

from __future__ import annotations

import json
import shutil

import cv2

from fer_desktop.cli import main as fer_desktop
from training.card import inherited_lineage, lineage_entry, main
from training.contract.model_card import card_paths, read_card


def _copy_model(model_path, dest):
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model_path, dest)
    for src, dst in zip(card_paths(model_path), card_paths(dest), strict=True):
        shutil.copyfile(src, dst)
    return dest


def test_a_card_inherits_its_starting_models_lineage_and_takes_eval_reports(tmp_path, model_path, face_crop):
    start = _copy_model(model_path, tmp_path / "start" / "base.keras")
    child = _copy_model(model_path, tmp_path / "child" / "model.keras")
    card = read_card(child)
    card.update(name="model", init={"path": str(start)}, lineage=[], external_evaluation={})
    json_path, md_path = card_paths(child)
    json_path.write_text(json.dumps(card))

    photos = tmp_path / "photos"
    for emotion, image in (("happy", face_crop), ("sad", cv2.flip(face_crop, 1))):
        (photos / emotion).mkdir(parents=True)
        cv2.imwrite(str(photos / emotion / "face.png"), image)
    report = tmp_path / "report.json"
    assert fer_desktop(["eval", "--model", str(child), "--data", str(photos), "--json", str(report)]) == 0

    assert main([str(child), "--inherit-lineage", "--evaluation", f"my photos={report}"]) == 0
    updated = read_card(child)
    base = read_card(start)
    assert updated["lineage"] == [*base.get("lineage", []), lineage_entry(base)]
    assert base["name"] in updated["lineage"][-1] and "PublicTest" in updated["lineage"][-1]
    assert updated["external_evaluation"]["my photos"]["n"] == 2
    assert "## my photos (not training data)" in md_path.read_text(encoding="utf-8")
    assert inherited_lineage(tmp_path / "no-card.keras") == []


def test_bad_evaluation_arguments_leave_the_card_alone(tmp_path, model_path, capsys):
    child = _copy_model(model_path, tmp_path / "model.keras")
    before = card_paths(child)[0].read_bytes()
    assert main([str(child), "--evaluation", "no-equals-sign"]) == 2
    not_a_report = tmp_path / "other.json"
    not_a_report.write_text('{"rows": []}')
    assert main([str(child), "--evaluation", f"x={not_a_report}"]) == 1
    assert "not a `fer-desktop eval --json` report" in capsys.readouterr().err
    assert main([str(tmp_path / "none.keras")]) == 1
    assert card_paths(child)[0].read_bytes() == before
