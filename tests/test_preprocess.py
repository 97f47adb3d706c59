"""The single preprocessing function that training and inference share."""

from __future__ import annotations

import inspect

import cv2
import numpy as np
import pytest

from training.contract.preprocess import INPUT_SHAPE, batch_to_model_input, to_model_input


def test_colour_and_gray_inputs_give_the_same_tensor(face_crop):
    gray = cv2.cvtColor(face_crop, cv2.COLOR_BGR2GRAY)
    bgra = cv2.cvtColor(face_crop, cv2.COLOR_BGR2BGRA)
    a, b, c = to_model_input(face_crop), to_model_input(gray), to_model_input(bgra)
    assert a.shape == INPUT_SHAPE and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(a[:, :, 0], a[:, :, 2])


def test_sixteen_bit_and_small_inputs():
    img16 = (np.arange(48 * 48, dtype=np.uint16).reshape(48, 48) * 28).astype(np.uint16)
    out = to_model_input(img16)
    assert out.shape == INPUT_SHAPE and out.dtype == np.uint8
    assert out.max() > 200  # scaled down from 16 bits, not clipped to 255 everywhere


def test_rejects_empty_input():
    with pytest.raises(ValueError, match="non-empty"):
        to_model_input(np.zeros((0, 10), np.uint8))


def test_batch_helper_stacks():
    batch = batch_to_model_input([np.zeros((10, 20), np.uint8), np.ones((50, 50, 3), np.uint8)])
    assert batch.shape == (2, *INPUT_SHAPE)
    assert batch_to_model_input([]).shape == (0, *INPUT_SHAPE)


def test_training_and_inference_call_the_same_function():
    """No second copy of the preprocessing: both sides reference training.contract.preprocess."""
    from fer_desktop.models import classifier
    from training import datasets

    assert "to_model_input" in inspect.getsource(datasets)
    assert classifier.batch_to_model_input is batch_to_model_input
    assert datasets.to_model_input is to_model_input


def test_a_crop_that_is_not_square_is_padded_not_stretched():
    """A 143x181 film crop keeps its proportions: a centred disc stays round."""
    tall = np.zeros((180, 120), np.uint8)
    cv2.circle(tall, (60, 90), 40, 255, -1)
    out = to_model_input(tall)[:, :, 0]
    ys, xs = np.nonzero(out > 127)
    assert abs((xs.max() - xs.min()) - (ys.max() - ys.min())) <= 2
    assert out[48, 2] == 0 and out[48, 93] == 0  # the padding repeats the (dark) border
