"""The model controller (one owner of the active model), the Train tab's run texts, the About box."""

from __future__ import annotations

import shutil

from fer_desktop.ui.train.run_text import EpochClock, counts_text, duration


def test_counts_text_warns_about_empty_and_tiny_classes():
    text = counts_text({"all": {"happy": 40, "sad": 3, "fear": 0, "?unknown": 0}})
    lines = text.splitlines()
    assert lines[0] == "all: happy 40, sad 3, fear 0, ?unknown 0"
    assert "⚠ all: no images for fear" in lines and "⚠ all: very few images for sad" in lines
    assert "unknown" not in "".join(lines[1:])  # a folder of unknown names earns no warning


def test_epoch_clock_estimates_from_batches_then_from_epochs():
    now = [0.0]
    clock = EpochClock(total_epochs=3, clock=lambda: now[0])
    # First epoch, batch 10 of 100 at 1 s each: 90 s of this epoch, two more epochs of 100 s.
    assert clock.time_left_text(10, 100, 1.0) == "epoch 1/3, about 4 min left"
    now[0] = 60.0
    clock.epoch_ended()  # the first epoch took 60 s: the rest are reckoned at that
    assert clock.time_left_text(50, 100, 0.5) == "epoch 2/3, about 85 s left"
    assert [duration(s) for s in (-5, 89, 90, 5399, 5400)] == ["0 s", "89 s", "1 min", "89 min", "1.5 h"]


def test_the_controller_switches_remembers_and_refuses(qtbot, model_path, tmp_path):
    from fer_desktop.models.catalogue import active_model_path
    from fer_desktop.paths import user_models_dir
    from fer_desktop.pipeline.engine import AnalyzerEngine
    from fer_desktop.ui.model_controller import ModelController

    other = user_models_dir() / "other" / "model.keras"
    other.parent.mkdir(parents=True)
    shutil.copyfile(model_path, other)
    engine = AnalyzerEngine(model_path)
    controller = ModelController(engine)
    lines: list[str] = []
    loading: list[str] = []
    controller.status.connect(lines.append)
    controller.loading.connect(loading.append)
    try:
        with qtbot.waitSignal(controller.model_changed, timeout=60000) as changed:
            controller.use_model(other)
        assert changed.args == [str(other)] and loading == [str(other)]
        assert controller.active_path == other and active_model_path() == other.resolve()
        assert lines == [f"Loading model {other}…", f"Now using {other}"]

        broken = tmp_path / "broken.keras"
        broken.write_bytes(b"not a model")
        with qtbot.waitSignal(controller.model_refused, timeout=60000) as refused:
            controller.use_model(broken)
        assert refused.args[0] and controller.active_path == other  # the current model stays active
        assert lines[-1] == f"⚠ Model refused: {refused.args[0]}. The current model stays active."
    finally:
        controller.shutdown()
        engine.close()


def test_about_box_names_the_licences(qtbot, engine):
    from fer_desktop.ui.main_window import MainWindow

    win = MainWindow(engine, source="15")
    qtbot.addWidget(win)
    help_menu = next(a.menu() for a in win.menuBar().actions() if a.text() == "&Help")
    assert win.about_action in help_menu.actions() and win.about_action.text() == "About FER Desktop"
    win.about_action.trigger()
    box = win.about_box
    assert box is not None and box.isVisible() and box.windowTitle() == "About FER Desktop"
    text = box.text()
    from fer_desktop import __version__

    assert __version__ in text and "Apache-2.0" in text and "BlazeFace" in text
    assert "research use" in text and "FER2013" in text and "FER+" in text and "MIT" in text
    box.close()
    win.close()
