"""`train --arch`: the seed notebook's EfficientNetB2 model next to the default, CLI and Train tab."""

from __future__ import annotations

import numpy as np
import pytest

from training.config import TrainConfig
from training.contract.labels import NUM_CLASSES


def test_efficientnetb2_takes_raw_pixels_and_outputs_probabilities(tmp_path):
    import keras

    from training.architectures import new_model
    from training.fit import build_model

    model = build_model(TrainConfig(data="", out="", arch="efficientnetb2"), steps_per_epoch=10)
    assert model.name == "fer_efficientnetb2"
    assert model.input_shape == (None, 96, 96, 3) and model.output_shape == (None, NUM_CLASSES)
    body = model.get_layer("efficientnetb2")
    # Exactly one 1/255 scaling between the app's 0..255 input and the body: Keras' own.
    scalings = [layer for layer in [*model.layers, *body.layers] if isinstance(layer, keras.layers.Rescaling)]
    assert [float(layer.scale) for layer in scalings] == [pytest.approx(1 / 255)]
    head = [layer.name for layer in model.layers[2:]]
    assert head == ["head_conv", "head_gap", "head_dense", "head_dropout", "probs"]
    assert model.get_layer("head_dropout").rate == 0.3
    probs = model.predict(np.full((2, 96, 96, 3), 255.0, dtype=np.float32), verbose=0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)

    # --weights loads a local file into the body (nothing is downloaded).
    weights = tmp_path / "b2.weights.h5"
    body.save_weights(weights)
    loaded = new_model("efficientnetb2", weights=weights).get_layer("efficientnetb2")
    for a, b in zip(body.weights[:5], loaded.weights[:5], strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_train_cli_passes_the_arch_and_refuses_bad_combinations(tmp_path, monkeypatch, capsys):
    import training.fit
    from fer_desktop.cli import main

    seen: list[TrainConfig] = []

    def record(config: TrainConfig, **_options) -> dict:
        seen.append(config)
        return {"evaluation": {}}

    monkeypatch.setattr(training.fit, "train", record)
    weights = tmp_path / "b2.weights.h5"
    weights.write_bytes(b"x")
    args = ["train", "--data", "d", "--out", str(tmp_path / "o")]
    assert main([*args, "--arch", "efficientnetb2", "--weights", str(weights)]) == 0
    assert seen[-1].arch == "efficientnetb2" and seen[-1].backbone_weights == str(weights)
    assert main(args) == 0 and seen[-1].arch == "vgg" and seen[-1].backbone_weights is None
    assert main([*args, "--arch", "efficientnetb2", "--weights", str(tmp_path / "none.h5")]) == 1
    assert "weights file not found" in capsys.readouterr().err
    assert main([*args, "--weights", str(weights)]) == 1
    assert "--arch efficientnetb2 only" in capsys.readouterr().err
    assert main([*args, "--arch", "efficientnetb2", "--init", str(weights)]) == 1
    assert "--init continues" in capsys.readouterr().err
    assert len(seen) == 2


def test_train_tab_arch_choice_reaches_the_config(qtbot, model_path):
    from fer_desktop.pipeline.engine import AnalyzerEngine
    from fer_desktop.ui.train.train_tab import TrainTab

    engine = AnalyzerEngine(model_path)
    try:
        tab = TrainTab(engine)
        qtbot.addWidget(tab)
        assert not tab.arch.isEnabled()  # a fine-tune keeps the current model's architecture
        tab.mode.setCurrentIndex(1)  # from scratch
        assert tab.arch.isEnabled()
        tab.arch.setCurrentText("efficientnetb2")
        tab.data_edit.setText("faces")
        config = tab.make_config()
        assert config.arch == "efficientnetb2" and config.init is None
        tab.arch.setCurrentText("vgg")
        assert tab.make_config().arch == "vgg"
        tab.mode.setCurrentIndex(0)
        tab.arch.setCurrentText("efficientnetb2")
        fine_tune = tab.make_config()
        assert fine_tune.arch == "vgg" and fine_tune.init == str(model_path)
    finally:
        engine.close()
