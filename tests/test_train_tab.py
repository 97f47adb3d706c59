"""The Train tab under pytest-qt, on tiny datasets the tests make."""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.ui.main_window import MainWindow
from training.contract.labels import CLASS_NAMES


def make_class_folders(root: Path, per_class: int) -> Path:
    rng = np.random.default_rng(0)
    for label, name in enumerate(CLASS_NAMES):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            img = rng.integers(0, 60, (48, 48)).astype(np.uint8)
            img[:, label * 6 : label * 6 + 8] = 230
            cv2.imwrite(str(root / name / f"{i}.png"), img)
    return root


@pytest.fixture
def own_engine(model_path):
    """A private engine: "Use this model" must not change the session's shared one."""
    engine = AnalyzerEngine(model_path)
    yield engine
    engine.close()


def test_device_is_probed_only_once_the_tab_is_shown(qtbot, own_engine):
    win = MainWindow(own_engine, source="0")
    qtbot.addWidget(win)
    win.show()
    tab = win.train_tab
    assert tab.device_label.text() == "Device: checking…"
    win.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: "checking" not in tab.device_label.text(), timeout=60000)
    assert "unknown" not in tab.device_label.text()  # the probe ran and named a device


def test_two_epochs_plot_save_and_use(qtbot, own_engine, tmp_path, face_video, monkeypatch):
    data = make_class_folders(tmp_path / "faces", 12)
    win = MainWindow(own_engine, source=str(face_video))
    qtbot.addWidget(win)
    tab = win.train_tab
    tab.data_edit.setText(str(data))
    counts = tab.show_counts(str(data))
    assert counts["all"]["happy"] == 12 and "very few images" in tab.counts_label.text()
    tab.mode.setCurrentIndex(1)  # from scratch
    tab.epochs.setValue(2)
    tab.batch.setValue(16)
    tab.val_source.setCurrentIndex(1)
    with qtbot.waitSignal(tab.training_done, timeout=180000) as blocker:
        tab.start_button.click()
    card = blocker.args[0]
    for key in ("accuracy", "val_accuracy", "loss", "val_loss"):
        xs, ys = tab.plots.points[key]
        assert xs == [1, 2] and len(ys) == 2
        assert list(tab.plots.curves[key].getData()[0]) == [1, 2]
    new_model = Path(card["path"])
    user_dir = Path(__import__("os").environ["FER_DESKTOP_DATA_DIR"])
    assert user_dir in new_model.parents and new_model.is_file()
    saved_card = json.loads(new_model.with_name("model.card.json").read_text())
    assert saved_card["training"]["epochs_run"] == 2
    assert saved_card["baseline"]["model"] == str(own_engine.model_path)
    assert tab.new_report.summary.text().startswith("accuracy")
    total = sum(tab.new_report.cell(i, j) for i in range(7) for j in range(7))
    assert total == card["evaluation"]["val"]["n"]

    # The Live tab's worker picks the new model up without a restart.
    live = win.live_tab
    with qtbot.waitSignal(live.result_shown, timeout=30000):
        live.start()
    old_classifier = live.worker.engine.get().classifier
    # Two epochs on stripes may score below the shipped model: say yes to the caution.
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(win.model_controller.model_changed, timeout=30000):
        tab.use_button.click()
    assert live.worker.engine.get().classifier is not old_classifier
    assert live.worker.engine.get().classifier.path == new_model
    assert live.worker.engine.get().classifier.runtime == "tflite-int8"  # training wrote its int8 copy
    with qtbot.waitSignal(live.result_shown, timeout=30000):
        pass
    from fer_desktop.models.catalogue import active_model_path

    assert active_model_path() == new_model.resolve()
    models = tab.models_page.models
    assert any("●" in models.item(i).text() and new_model.parent.name in models.item(i).text()
               for i in range(models.count()))  # fmt: skip
    win.close()


def test_stop_mid_epoch_keeps_the_best_checkpoint(qtbot, own_engine, tmp_path):
    data = make_class_folders(tmp_path / "faces", 150)
    win = MainWindow(own_engine, source="15")
    qtbot.addWidget(win)
    tab = win.train_tab
    tab.data_edit.setText(str(data))
    tab.mode.setCurrentIndex(1)
    tab.epochs.setValue(20)
    tab.batch.setValue(4)
    tab.val_source.setCurrentIndex(1)
    epochs = []
    tab.start_button.click()
    tab.worker.signals.epoch_ended.connect(lambda e, logs: epochs.append(e))
    qtbot.waitUntil(lambda: len(epochs) >= 1, timeout=120000)
    # Well inside the second epoch.
    qtbot.waitUntil(
        lambda: 5 <= tab.epoch_progress.value() < tab.epoch_progress.maximum() - 20, timeout=30000
    )
    with qtbot.waitSignal(tab.training_done, timeout=30000) as blocker:
        pressed = time.monotonic()
        tab.stop_button.click()
        # Feedback from the press until the run has wound down.
        assert tab.stop_button.text() == "Stopping…" and not tab.stop_button.isEnabled()
        assert tab.status.text().startswith("Stopping")
    qtbot.waitUntil(lambda: tab.stop_button.text() == "Stop", timeout=30000)
    # The loop stops after the current batch; the rest is the wind-down every training has
    # (reloading the best checkpoint, evaluation, saving, the TFLite copy).
    assert time.monotonic() - pressed < 10.0
    card = blocker.args[0]
    assert card["training"]["stopped_by_user"] is True
    assert card["training"]["epochs_run"] < 20
    from fer_desktop.models.classifier import load_checked_model

    model = load_checked_model(Path(card["path"]))
    assert model.output_shape == (None, 7)
    win.close()


def test_bad_model_files_are_refused_and_current_model_stays(qtbot, own_engine, tmp_path):
    import keras

    bad_files = {}
    (tmp_path / "corrupt.keras").write_bytes(b"PK\x03\x04 not really a zip")
    bad_files["corrupt"] = tmp_path / "corrupt.keras"
    inputs = keras.Input((64, 64, 3))
    wrong_shape = keras.Model(
        inputs, keras.layers.Dense(7, activation="softmax")(keras.layers.Flatten()(inputs))
    )
    wrong_shape.save(tmp_path / "shape.keras")
    bad_files["shape"] = tmp_path / "shape.keras"
    inputs = keras.Input((96, 96, 3))
    five = keras.Model(inputs, keras.layers.Dense(5, activation="softmax")(keras.layers.Flatten()(inputs)))
    five.save(tmp_path / "five.keras")
    bad_files["classes"] = tmp_path / "five.keras"
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    code = keras.Model(inputs, keras.layers.Dense(7, activation="softmax")(keras.layers.Flatten()(x)))
    code.save(tmp_path / "code.keras")
    bad_files["code"] = tmp_path / "code.keras"

    win = MainWindow(own_engine, source="15")
    qtbot.addWidget(win)
    tab = win.train_tab
    before = own_engine.model_path
    for kind, path in bad_files.items():
        with qtbot.waitSignal(win.model_controller.model_refused, timeout=60000):
            win.model_controller.use_model(path)
            assert "Loading model" in tab.status.text()  # loads on a worker; the GUI stays free
        assert own_engine.model_path == before, kind
        assert "refused" in tab.status.text()
    win.close()


def test_tables_and_card_are_readable_at_the_default_window_size(qtbot, own_engine):
    from PySide6.QtWidgets import QApplication

    win = MainWindow(own_engine, source="15")
    qtbot.addWidget(win)
    default_width = win.width()
    win.show()
    qtbot.waitExposed(win)
    tab = win.train_tab
    win.tabs.setCurrentWidget(tab)
    tab.views.setCurrentWidget(tab.results_page)
    QApplication.processEvents()
    # The Train tab fits the default window, and in height even a 700-pixel one
    # (700 less the tab bar, status bar and margins).
    from fer_desktop.ui.main_window import DEFAULT_SIZE

    assert win.width() == default_width == DEFAULT_SIZE[0]
    assert tab.minimumSizeHint().width() <= tab.width() and tab.minimumSizeHint().height() <= 600
    for report in (tab.new_report, tab.old_report):
        for table in (report.per_class, report.confusion):
            assert table.rowCount() == 7 and table.isVisible()
            assert not table.verticalScrollBar().isVisible() and not table.horizontalScrollBar().isVisible()
            assert table.verticalHeader().length() <= table.viewport().height()
            assert table.rowViewportPosition(6) + table.rowHeight(6) <= table.viewport().height()
            header = table.horizontalHeader()
            fm = header.fontMetrics()
            for col in range(table.columnCount()):
                text = table.horizontalHeaderItem(col).text()
                assert header.sectionSize(col) >= fm.horizontalAdvance(text), text
            names = table.verticalHeader()
            assert all(names.width() >= names.fontMetrics().horizontalAdvance(c) for c in CLASS_NAMES)

    page = tab.models_page
    tab.views.setCurrentWidget(page)
    page.models.setCurrentRow(0)  # the bundled default
    text = page.card_view.toPlainText()
    assert "Model card: fer_default" in text and "PublicTest" in text
    assert "{'" not in text and '{"' not in text
    assert not page.delete_button.isEnabled() and not page.rename_button.isEnabled()
    win.close()


def test_validation_default_follows_the_dataset(qtbot, own_engine, tmp_path):
    from fer_desktop.ui.train.train_tab import TrainTab

    tab = TrainTab(own_engine)
    qtbot.addWidget(tab)
    folders = make_class_folders(tmp_path / "faces", 2)
    tab.show_counts(str(folders))
    assert "PublicTest" not in tab.val_source.currentText() and tab.val_source.currentIndex() == 1
    assert not tab.val_source.model().item(0).isEnabled()
    assert tab.make_config().force_holdout

    kaggle = tmp_path / "fer"
    make_class_folders(kaggle / "train", 1)
    tab.show_counts(str(kaggle))
    assert tab.val_source.currentText() == "The dataset's own (PublicTest)"
    assert not tab.make_config().force_holdout
    tab.val_source.setCurrentIndex(1)  # the user's choice stays while the dataset is of the same kind
    tab.show_counts(str(kaggle))
    assert tab.make_config().force_holdout


def test_models_are_renamed_and_deleted_from_the_list(qtbot, own_engine, model_path, monkeypatch):
    import shutil

    from PySide6.QtWidgets import QInputDialog

    from fer_desktop.paths import user_models_dir
    from fer_desktop.ui.train.train_tab import TrainTab
    from training.card import write_card

    for name in ("run-a", "run-b"):
        dest = user_models_dir() / name / "model.keras"
        dest.parent.mkdir(parents=True)
        shutil.copyfile(model_path, dest)
        write_card(dest, {"name": name, "path": str(dest)})
    tab = TrainTab(own_engine)
    qtbot.addWidget(tab)
    page, models = tab.models_page, tab.models_page.models

    def select(name: str) -> None:
        rows = [i for i in range(models.count()) if name in models.item(i).text()]
        models.setCurrentRow(rows[0])

    select("run-a")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("kept", True))
    page.rename_button.click()
    assert (user_models_dir() / "kept" / "model.keras").is_file()
    assert not (user_models_dir() / "run-a").exists()
    assert any("kept" in models.item(i).text() for i in range(models.count()))
    assert json.loads((user_models_dir() / "kept" / "model.card.json").read_text())["name"] == "kept"

    answers = [QMessageBox.StandardButton.No]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers[0])
    select("run-b")
    page.delete_button.click()
    assert (user_models_dir() / "run-b" / "model.keras").is_file()  # "No" keeps it
    answers[0] = QMessageBox.StandardButton.Yes
    page.delete_button.click()
    assert not (user_models_dir() / "run-b").exists()
    assert not any("run-b" in models.item(i).text() for i in range(models.count()))

    # The model in use is neither deleted nor renamed.
    with qtbot.waitSignal(tab.controller.model_changed, timeout=60000):
        tab.controller.use_model(user_models_dir() / "kept" / "model.keras")
    select("kept")
    page.delete_button.click()
    assert "in use" in tab.status.text() and (user_models_dir() / "kept" / "model.keras").is_file()


def test_the_controls_start_at_the_training_defaults(qtbot, own_engine):
    from fer_desktop.ui.train.train_tab import TrainTab
    from training.config import TrainConfig, train_tab_defaults

    tab = TrainTab(own_engine)
    qtbot.addWidget(tab)
    defaults = train_tab_defaults()
    assert (defaults.epochs, defaults.batch_size, defaults.learning_rate) == (10, 64, 5e-4)
    assert defaults.val_fraction == TrainConfig(data="", out="").val_fraction
    assert (tab.epochs.value(), tab.batch.value()) == (defaults.epochs, defaults.batch_size)
    assert tab.lr.value() == pytest.approx(defaults.learning_rate)
    assert tab.augment.isChecked() is defaults.augment
    assert f"{defaults.val_fraction:.0%} of each class" in tab.val_source.itemText(1)
    tab.data_edit.setText("faces")
    config = tab.make_config()
    assert (config.epochs, config.batch_size, config.augment) == (defaults.epochs, defaults.batch_size, True)
