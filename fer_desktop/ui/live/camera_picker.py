"""The Live tab's camera picker: a camera by name where listed (else by number), and its resolution."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget

from fer_desktop.live.cameras import RESOLUTIONS, Camera, find_camera, list_cameras
from fer_desktop.settings import CameraChoice


class CameraPicker(QWidget):
    """The cameras found (or OpenCV's camera number when none can be listed) and the resolution box."""

    def __init__(self, saved: CameraChoice, resolution: str = "Default", parent=None):
        super().__init__(parent)
        self.cameras: list[Camera] = []
        self.choice = QComboBox()
        self.choice.setToolTip("Cameras found on this computer")
        self.index = QSpinBox()  # the fallback: OpenCV's camera number
        self.index.setRange(0, 9999)
        self.index.setToolTip("Camera number (no camera names could be listed)")
        if saved.index is not None:
            self.index.setValue(saved.index)
        self.index_label = QLabel("Camera #")
        self.refresh_button = QPushButton("↻")
        self.refresh_button.setToolTip("List the cameras again (e.g. after plugging one in)")
        self.refresh_button.setAccessibleName("Refresh camera list")
        self.resolution = QComboBox()
        self.resolution.addItems(list(RESOLUTIONS))
        self.resolution.setToolTip("Camera resolution (the camera picks its nearest mode)")
        self.resolution.setCurrentText(resolution)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.index_label, self.index, self.choice, self.refresh_button, self.resolution):
            layout.addWidget(w)
        self.refresh_button.clicked.connect(lambda: self.refresh())
        self.refresh(saved.name, saved.index)

    def refresh(self, name: str | None = None, index: int | None = None) -> None:
        """List the cameras again, keeping the chosen one (by name and number, else name, else
        number) if it is still there; with none listed, its number stays in the number box."""
        if name is None and index is None:
            if self.cameras and self.choice.currentIndex() >= 0:
                current = self.cameras[self.choice.currentIndex()]
                name, index = current.name, current.index
            else:
                index = self.index.value()
        self.cameras = list_cameras()
        self.choice.clear()
        for camera in self.cameras:
            self.choice.addItem(camera.label, camera.index)
        found = find_camera(self.cameras, name, index)
        if found is not None:
            self.choice.setCurrentIndex(found)
        if isinstance(index, int) and not self.cameras:
            self.index.setValue(index)
        self.choice.setVisible(bool(self.cameras))
        self.index.setVisible(not self.cameras)
        self.index_label.setVisible(not self.cameras)

    def spec(self) -> str:
        """The chosen camera as a source spec: OpenCV's index, by name where the names are known."""
        if self.cameras:
            return str(self.choice.currentData())
        return str(self.index.value())

    def resolution_size(self) -> tuple[int, int] | None:
        return RESOLUTIONS.get(self.resolution.currentText())

    def chosen(self) -> CameraChoice:
        """The choice as saved between runs: its number, and its name where one is listed."""
        name = self.cameras[self.choice.currentIndex()].name if self.cameras else None
        return CameraChoice(int(self.spec()), name)
