"""The training set travels to the GPU machine as a lossless mosaic: it must come back bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from scripts.gpu.mosaic import read_mosaic, write_mosaic


def test_mosaic_round_trip_is_lossless(tmp_path):
    tiles = np.random.default_rng(0).integers(
        0, 256, (300, 48, 48), dtype=np.uint8
    )  # 2 rows, the last partial
    path = tmp_path / "train.webp"
    write_mosaic(tiles, path)
    np.testing.assert_array_equal(read_mosaic(path, len(tiles)), tiles)
    np.testing.assert_array_equal(read_mosaic(path, 7), tiles[:7])


def test_mosaic_refuses_more_tiles_than_it_holds(tmp_path):
    path = tmp_path / "val.webp"
    write_mosaic(np.zeros((5, 48, 48), dtype=np.uint8), path, cols=4)
    with pytest.raises(ValueError, match="at most 8 tiles"):
        read_mosaic(path, 9)
    with pytest.raises(FileNotFoundError, match="missing"):
        read_mosaic(tmp_path / "absent.webp", 1)


def test_the_card_reads_a_training_log(tmp_path):
    from scripts.gpu.make_card import read_log

    log = tmp_path / "skd.log"
    log.write_text(
        "skd: 1,167,591 params, 27719 images, 2 teachers\n"
        "skd epoch 1 lr 3.00e-04 loss 1.8929 val 0.3100 (30.1 s, 31 s total)\n"
        "skd epoch 11 lr 2.90e-03 loss 1.3000 val 0.6000 (0.7 s, 40 s total)\n"
        "skd: 12 epochs, 1296 steps, val 0.6120\n"
        "skd_ema: 12 epochs, 1296 steps, val 0.6150\n"
    )
    run = read_log(log)
    assert run["params"] == 1167591 and run["images"] == 27719
    assert (run["epochs_run"], run["steps_run"], run["final_val"]) == (12, 1296, 0.612)
    assert run["watched"] == [[1, 1.8929, 0.31], [11, 1.3, 0.6]] and run["wall_time_s"] == 40.0
    log.write_text(  # today's format: the options, and the time on the final lines
        "t2: 4,694,727 params, 27719 images, 0 teachers\n"
        't2 args: {"width": 64, "lr": 0.003, "batch_size": 256}\n'
        "t2: 69 epochs, 7452 steps, val 0.6990, 258 s total\n"
        "t2_ema: 69 epochs, 7452 steps, val 0.7000, 259 s total\n"
    )
    run = read_log(log)
    assert run["args"]["width"] == 64 and run["wall_time_s"] == 258.0
    assert (run["final_val"], run["ema_val"]) == (0.699, 0.7)
    unfinished = tmp_path / "t1.log"
    unfinished.write_text("t1: 10,553,383 params, 27719 images, 0 teachers\n")
    with pytest.raises(ValueError, match="did not finish"):
        read_log(unfinished)
