"""The main window: tabs, a status bar and a Help menu; it owns the model controller."""

from __future__ import annotations

import contextlib

from PySide6.QtWidgets import QMainWindow, QMessageBox, QTabWidget

from fer_desktop import __version__
from fer_desktop.pipeline.engine import AnalyzerEngine
from fer_desktop.settings import load_settings, save_settings
from fer_desktop.ui.about import TITLE as ABOUT_TITLE
from fer_desktop.ui.about import about_box
from fer_desktop.ui.gui_gc import collect_in_gui_thread
from fer_desktop.ui.label.label_tab import LabelTab
from fer_desktop.ui.live.live_tab import LiveTab
from fer_desktop.ui.model_controller import ModelController
from fer_desktop.ui.train.train_tab import TrainTab


class MainWindow(QMainWindow):
    def __init__(self, engine: AnalyzerEngine, source: str | None = None):
        super().__init__()
        collect_in_gui_thread()
        self.engine = engine
        self.setWindowTitle(f"FER Desktop {__version__}")
        self.model_controller = ModelController(engine, self)  # the one owner of the active model
        self.tabs = QTabWidget()
        self.live_tab = LiveTab(engine, source)
        self.label_tab = LabelTab(engine)
        self.train_tab = TrainTab(engine, self.model_controller)
        self.tabs.addTab(self.live_tab, "Live")
        self.tabs.addTab(self.label_tab, "Label")
        self.tabs.addTab(self.train_tab, "Train")
        self.setCentralWidget(self.tabs)
        self._connect_models()
        for source_of_messages in (self.live_tab, self.label_tab, self.train_tab, self.model_controller):
            source_of_messages.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.about_box: QMessageBox | None = None
        help_menu = self.menuBar().addMenu("&Help")
        self.about_action = help_menu.addAction(ABOUT_TITLE, self.show_about)
        self.resize(*saved_window_size())
        self.ask_before_closing = True

    def _connect_models(self) -> None:
        """The views of the active model listen to the controller; the calibration panel asks it."""
        models = self.model_controller
        calibration = self.live_tab.calibration
        calibration.use_requested.connect(models.use_model)
        calibration.finished.connect(lambda _card: self.train_tab.refresh_models())
        models.loading.connect(self.live_tab.show_model_loading)
        models.model_changed.connect(self.live_tab.show_model)
        models.model_changed.connect(self.label_tab.model_changed)
        models.model_refused.connect(self.live_tab.show_model)

    def show_about(self) -> None:
        self.about_box = about_box(self)

    def close_without_asking(self) -> None:
        """Close at once (Ctrl-C in the terminal): corrections are autosaved, nothing is lost."""
        self.ask_before_closing = False
        self.close()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.ask_before_closing and not self.label_tab.confirm_discard("Close the window anyway?"):
            event.ignore()
            return
        with contextlib.suppress(OSError):  # a lost preference must not stop the window closing
            save_settings(window_size=(self.width(), self.height()))
        self.live_tab.shutdown()
        self.label_tab.shutdown()
        self.train_tab.shutdown()
        self.model_controller.shutdown()
        super().closeEvent(event)


DEFAULT_SIZE = (1200, 840)  # the Live tab's side panel shows whole; it scrolls when smaller


def saved_window_size() -> tuple[int, int]:
    """The size the window had when it last closed (a sane one), else the default."""
    return load_settings().window_size or DEFAULT_SIZE
