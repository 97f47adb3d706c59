"""The Label tab's controls: the grid of faces, setting or confirming a face's label, the exports.

Thin widgets: they say what was pressed; the tab asks its ``LabelSession`` what to do.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QFileDialog, QHBoxLayout, QLabel, QListView, QPushButton, QWidget

from fer_desktop.labelling.session import EXPORT_KINDS
from fer_desktop.ui.dialogs import export_dialog
from training.contract.labels import CLASS_NAMES

CONFIRM_KEYS = ("Return", "Enter", "C")  # a face's label is right: the keys beside the 1-7 ones


def tab_shortcut(tab: QWidget, key: str | QKeySequence, slot: Callable[[], None]) -> QShortcut:
    """A key for the whole tab (wherever the focus is inside it), not for the rest of the window."""
    shortcut = QShortcut(QKeySequence(key), tab, activated=slot)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    return shortcut


class EnterStaysInEditor(QObject):
    """Return/Enter in a filter box ends the typing there instead of confirming the selected faces.

    A spin box takes digits before the tab's 1-7 keys but lets Return through to the tab's
    Confirm shortcut; claiming the key in ``ShortcutOverride`` is Qt's way to keep it.
    """

    def __init__(self, editor: QWidget):
        super().__init__(editor)
        editor.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        enter = isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and event.type() == QEvent.Type.ShortcutOverride:
            event.accept()
            return True
        return super().eventFilter(watched, event)


class LabelButtons(QWidget):
    """``Set label:`` 1 angry … 7 neutral, and ``✓ Confirm``; the keys 1-7 and Enter/C on ``tab``."""

    chosen = Signal(str)  # an emotion for the selected faces
    confirmed = Signal()  # the selected faces' labels are right

    def __init__(self, tab: QWidget):
        super().__init__(tab)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Set label:"))
        self.buttons: dict[str, QPushButton] = {}
        for i, name in enumerate(CLASS_NAMES, start=1):
            button = QPushButton(f"{i} {name}")
            button.setToolTip(f"Press {i}")
            button.clicked.connect(lambda _=False, n=name: self.chosen.emit(n))
            tab_shortcut(tab, str(i), lambda n=name: self.chosen.emit(n))
            row.addWidget(button)
            self.buttons[name] = button
        self.confirm_button = QPushButton("✓ Confirm")
        self.confirm_button.setToolTip(
            "The label is right: a person checked it (Enter or C). Export the checked faces only "
            "to train or score a model on labels that are not its own"
        )
        self.confirm_button.clicked.connect(self.confirmed.emit)
        for key in CONFIRM_KEYS:
            tab_shortcut(tab, key, self.confirmed.emit)
        row.addWidget(self.confirm_button)


class ExportButtons(QWidget):
    """Export CSV / JSON / crops, and whether to export only the faces a person checked."""

    requested = Signal(str)  # csv, json or crops

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.checked_only = QCheckBox("Checked faces only")
        self.checked_only.setToolTip(
            "Export only the faces a person confirmed or corrected: a model trained or scored on "
            "its own unchecked answers learns and measures nothing"
        )
        row.addWidget(self.checked_only)
        self.buttons: dict[str, QPushButton] = {}
        for kind in EXPORT_KINDS:
            button = QPushButton(f"Export {kind if kind == 'crops' else kind.upper()}…")
            button.clicked.connect(lambda _=False, k=kind: self.requested.emit(k))
            row.addWidget(button)
            self.buttons[kind] = button

    def set_enabled(self, enabled: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(enabled)


def label_export_dialog(parent: QWidget, kind: str) -> QFileDialog:
    """Qt's own file dialog: "Create New Folder" is there, so an export can go to a new folder."""
    if kind == "crops":
        return export_dialog(parent, "Export crops into (one folder per emotion)", "label_export")
    dialog = export_dialog(parent, f"Export {kind.upper()}", "label_export", f"labels.{kind}")
    dialog.setNameFilter(f"{kind.upper()} files (*.{kind})")
    dialog.setDefaultSuffix(kind)
    return dialog


def face_grid(model: QAbstractItemModel) -> QListView:
    """The grid of face thumbnails (96x96, captions wrapped), several faces selectable at once."""
    grid = QListView()
    grid.setViewMode(QListView.ViewMode.IconMode)
    grid.setIconSize(QSize(96, 96))
    grid.setGridSize(QSize(132, 150))
    grid.setWordWrap(True)
    grid.setResizeMode(QListView.ResizeMode.Adjust)
    grid.setMovement(QListView.Movement.Static)
    grid.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
    grid.setUniformItemSizes(True)
    grid.setModel(model)
    return grid
