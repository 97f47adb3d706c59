"""Shows the annotated frame, scaled to fit; a click selects a face."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget


def bgr_to_qimage(image: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(image[:, :, ::-1])
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class FrameView(QWidget):
    clicked_at = Signal(float, float)  # image coordinates

    def __init__(self, parent=None):
        super().__init__(parent)
        self._image: QImage | None = None
        self._message = ""
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_frame(self, image: np.ndarray) -> None:
        self._image = bgr_to_qimage(image)
        self._message = ""
        self.update()

    def show_message(self, text: str) -> None:
        self._message = text
        self.update()

    def clear(self, message: str = "") -> None:
        """Show nothing (or just ``message``): no picture of an earlier run stays."""
        self._image = None
        self.show_message(message)

    def message(self) -> str:
        return self._message

    def has_frame(self) -> bool:
        return self._image is not None

    def _target_rect(self) -> QRectF:
        if self._image is None:
            return QRectF()
        iw, ih = self._image.width(), self._image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self._image is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self._target_rect(), self._image)
        if self._message:
            painter.setPen(Qt.GlobalColor.white)
            painter.drawText(
                self.rect().adjusted(20, 20, -20, -20),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self._message,
            )

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        rect = self._target_rect()
        if self._image is None or not rect.contains(QPointF(event.position())):
            return
        scale = self._image.width() / rect.width()
        self.clicked_at.emit(
            (event.position().x() - rect.x()) * scale, (event.position().y() - rect.y()) * scale
        )
