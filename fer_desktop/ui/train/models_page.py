"""The Train tab's "Models" page: the bundled default and the user's models, their cards, and edits.

It lists, renames, deletes and adds models through the catalogue; switching to one is
the model controller's job (this page only asks it, after a caution for a weaker model).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fer_desktop.models import catalogue
from fer_desktop.models.classifier import ModelLoadError
from fer_desktop.ui.dialogs import ask_yes_no, choose_open_file
from fer_desktop.ui.model_controller import ModelController
from training.contract.model_card import read_card


class ModelsPage(QWidget):
    status = Signal(str)  # a line for the tab's status
    deleted = Signal(Path)  # the folder of a model just deleted
    renamed = Signal(Path, Path)  # a renamed model's old folder, and its new model path

    def __init__(self, controller: ModelController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.models = QListWidget()
        self.models.setWordWrap(True)  # a model's figures in full, not cut at the list's edge
        self.card_view = QTextBrowser()
        self.restore_button = QPushButton("Use selected model")
        self.import_button = QPushButton("Add model file…")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete…")
        for button in (self.rename_button, self.delete_button):
            button.setEnabled(False)  # until a model of the user's is selected
        layout = QVBoxLayout(self)
        layout.addWidget(self.models, 1)
        layout.addWidget(self.card_view, 2)
        buttons = QHBoxLayout()
        for b in (self.restore_button, self.import_button, self.rename_button, self.delete_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)

        self.restore_button.clicked.connect(self.use_selected_model)
        self.import_button.clicked.connect(self.import_model)
        self.rename_button.clicked.connect(self.rename_selected_model)
        self.delete_button.clicked.connect(self.delete_selected_model)
        self.models.currentItemChanged.connect(self._show_card)
        self.refresh()

    def refresh(self) -> None:
        """The list again, the active model marked ●."""
        self.models.clear()
        active = self.controller.active_path.resolve()
        for stored in catalogue.list_models():
            mark = "● " if stored.path.resolve() == active else ""
            item = QListWidgetItem(mark + stored.summary())
            item.setToolTip(f"{stored.summary()}\n{stored.path}")
            item.setData(Qt.ItemDataRole.UserRole, stored)
            self.models.addItem(item)

    def _show_card(self, item: QListWidgetItem | None, _prev=None) -> None:
        stored = None if item is None else item.data(Qt.ItemDataRole.UserRole)
        for button in (self.rename_button, self.delete_button):
            button.setEnabled(stored is not None and not stored.bundled)
        if stored is None:
            self.card_view.clear()
        else:
            self.card_view.setMarkdown(catalogue.card_text(stored))

    def selected_model(self) -> catalogue.StoredModel | None:
        item = self.models.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    # -- switching ------------------------------------------------------------------
    def use_selected_model(self) -> None:
        stored = self.selected_model()
        if stored is not None and self.confirm_switch(stored.card):
            self.controller.use_model(stored.path)

    def confirm_switch(self, card: dict | None) -> bool:
        """Ask first when the model scored lower than the current one on the same validation data."""
        current = self.controller.active_path
        caution = catalogue.lower_than_current(card, current, read_card(current))
        if caution is None:
            return True
        return ask_yes_no(self, "Use a weaker model?", f"{caution}\n\nUse it anyway?")

    # -- edits ----------------------------------------------------------------------
    def _editable_selection(self, done: str) -> catalogue.StoredModel | None:
        """The selected model if it may be ``done`` ("deleted", "renamed"); else None, the reason shown."""
        stored = self.selected_model()
        if stored is None:
            return None
        try:
            catalogue.check_editable(stored, self.controller.active_path, done)
        except catalogue.ModelEditError as exc:
            self.status.emit(f"⚠ Not {done}: {exc}.")
            return None
        return stored

    def delete_selected_model(self) -> None:
        """Delete a user model's files after asking; never the bundled default or the model in use."""
        stored = self._editable_selection("deleted")
        if stored is None:
            return
        if not ask_yes_no(self, "Delete model", f"Delete {stored.name} and its files?\n{stored.path.parent}"):
            return
        try:
            catalogue.delete_model(stored, self.controller.active_path)
        except (catalogue.ModelEditError, OSError) as exc:
            self.status.emit(f"⚠ Not deleted: {exc}")
            return
        self.deleted.emit(stored.path.parent)
        self.refresh()
        self.status.emit(f"Deleted {stored.name}.")

    def rename_selected_model(self) -> None:
        stored = self._editable_selection("renamed")
        if stored is None:
            return
        name, ok = QInputDialog.getText(self, "Rename model", "New name:", text=stored.name)
        if not ok or name.strip() == stored.name:
            return
        try:
            new_path = catalogue.rename_model(stored, name, self.controller.active_path)
        except (catalogue.ModelEditError, OSError) as exc:
            self.status.emit(f"⚠ Not renamed: {exc}")
            return
        self.renamed.emit(stored.path.parent, new_path)
        self.refresh()
        self.status.emit(f"Renamed {stored.name} to {new_path.parent.name}.")

    def import_model(self) -> None:
        path = choose_open_file(self, "Add a Keras model", "model_import", "Keras models (*.keras)")
        if not path:
            return
        try:
            stored = catalogue.import_model(path)
        except ModelLoadError as exc:
            self.status.emit(f"⚠ Model refused: {exc}")
            return
        except OSError as exc:
            self.status.emit(f"⚠ Model not added: {exc.strerror or exc} ({exc.filename or path})")
            return
        self.refresh()
        self.status.emit(f"Added {stored}; select it and press 'Use selected model'.")
