"""Small dialogs the tabs share; every file and folder dialog of the app opens through here.

A dialog for a purpose starts in the last folder used for it (:mod:`fer_desktop.recent_folders`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from fer_desktop.recent_folders import last_folder, remember_folder


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    """A Yes/No question whose default is No: the careful answer when work or quality is at stake."""
    yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
    return QMessageBox.question(parent, title, text, yes | no, no) == yes


def pick_folder(parent: QWidget, title: str, start: str | Path) -> str:
    """An existing folder, the dialog starting in ``start`` (a setting's own folder); "" if cancelled."""
    return QFileDialog.getExistingDirectory(parent, title, str(start))


def choose_folder(parent: QWidget, title: str, purpose: str) -> str:
    """An existing folder, the dialog starting where the last one for ``purpose`` ended; "" if cancelled."""
    folder = pick_folder(parent, title, last_folder(purpose))
    if folder:
        remember_folder(purpose, folder)
    return folder


def choose_open_file(parent: QWidget, title: str, purpose: str, name_filter: str) -> str:
    """An existing file, the dialog starting where the last one for ``purpose`` ended; "" if cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, title, last_folder(purpose), name_filter)
    if path:
        remember_folder(purpose, path)
    return path


def export_dialog(parent: QWidget, title: str, purpose: str, file_name: str | None = None) -> QFileDialog:
    """A dialog for a file to write (``file_name`` proposed) or, without one, a folder to fill.

    Qt's own dialog rather than the platform's: it always has "Create New Folder", so an export
    can go to a new folder named on the spot, on every platform.
    """
    dialog = QFileDialog(parent, title, last_folder(purpose))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setOption(QFileDialog.Option.ReadOnly, False)
    if file_name is None:
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    else:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.selectFile(file_name)
    return dialog


def run_export_dialog(dialog: QFileDialog, purpose: str) -> str:
    """The chosen path ("" if cancelled); its folder becomes ``purpose``'s next start."""
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return ""
    chosen = dialog.selectedFiles()[0]
    remember_folder(purpose, chosen)
    return chosen
