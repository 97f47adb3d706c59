"""Help → About FER Desktop: the version, what the app is, and the licences of what it ships."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from fer_desktop import __version__

TITLE = "About FER Desktop"


def about_text() -> str:
    """The box's text (rich text): the shipped weights' terms belong beside the code's licence."""
    return (
        f"<h3>FER Desktop {__version__}</h3>"
        "<p>Facial emotion recognition on the desktop: live from a camera or a video, "
        "labelling folders of photos, training and calibrating the emotion model.</p>"
        "<p><b>Licences</b></p><ul>"
        "<li>FER Desktop: Apache-2.0.</li>"
        "<li>Face detector: MediaPipe BlazeFace (short range), Apache-2.0.</li>"
        "<li>Shipped emotion model: its weights were trained on FER2013 and FER+ votes and are "
        "for research use only (FER2013: research use; FER+ labels: MIT). "
        "The datasets themselves are not bundled.</li></ul>"
    )


def about_box(parent: QWidget) -> QMessageBox:
    """The About box, shown without blocking (the Live tab keeps running behind it)."""
    box = QMessageBox(parent)
    box.setWindowTitle(TITLE)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_text())
    box.setIcon(QMessageBox.Icon.Information)
    box.open()
    return box
