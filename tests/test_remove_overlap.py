"""remove_overlap drops exactly the training images that reappear in a held-out split."""

from __future__ import annotations

import numpy as np

from training.data_prep import remove_overlap
from training.datasets import LabeledImages


def distinct_images(values: list[int]) -> np.ndarray:
    """One 96x96x3 image per value, each filled with it: equal pixels only for equal values."""
    return np.stack([np.full((96, 96, 3), v, dtype=np.uint8) for v in values])


def labelled(values: list[int], labels: list[int]) -> LabeledImages:
    return LabeledImages(
        distinct_images(values),
        np.asarray(labels, dtype=np.int64),
        paths=[f"img{v}.png" for v in values],
        soft=np.eye(7, dtype=np.float32)[labels],
    )


def test_a_partial_overlap_drops_the_duplicates_and_keeps_the_rest():
    train = labelled([10, 20, 30, 40, 50, 60], [0, 1, 2, 3, 4, 5])
    public = labelled([20, 99], [1, 6])  # 20 is a training image, 99 is not
    private = labelled([50, 50, 77], [4, 4, 0])  # 50 twice: one training image all the same

    kept, removed = remove_overlap(train, public, private)

    assert removed == 2
    assert len(kept) == 4
    assert [int(img[0, 0, 0]) for img in kept.images] == [10, 30, 40, 60]  # order kept
    assert kept.labels.tolist() == [0, 2, 3, 5]  # labels follow their images
    assert kept.paths == ["img10.png", "img30.png", "img40.png", "img60.png"]
    assert kept.soft is not None and kept.soft.argmax(axis=1).tolist() == [0, 2, 3, 5]


def test_a_duplicate_within_training_goes_only_when_held_out():
    train = labelled([10, 10, 20], [0, 0, 1])  # a duplicate inside Training is not an overlap
    kept, removed = remove_overlap(train, labelled([30], [2]))
    assert (removed, len(kept)) == (0, 3)

    kept, removed = remove_overlap(train, labelled([10], [0]))
    assert (removed, kept.labels.tolist()) == (2, [1])


def test_no_held_out_split_keeps_everything():
    train = labelled([1, 2, 3], [0, 1, 2])
    kept, removed = remove_overlap(train)
    assert removed == 0 and len(kept) == 3
