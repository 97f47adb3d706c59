"""Qt item models for the Label tab's grid of face thumbnails."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QIcon, QPixmap

from fer_desktop.labelling import STATUS_OK, LabelRow
from fer_desktop.ui.frame_view import bgr_to_qimage

ROW_ROLE = Qt.ItemDataRole.UserRole + 1


class FaceListModel(QAbstractListModel):
    """The faces found so far; each item shows its crop, emotion and confidence."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.faces: list[LabelRow] = []
        self._icons: dict[int, QIcon] = {}

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.faces)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.faces[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            mark = " ✎" if row.label_source == "human" else ""
            return f"{row.emotion} {row.confidence:.0%}{mark}"
        if role == Qt.ItemDataRole.DecorationRole:
            icon = self._icons.get(index.row())
            if icon is None and row.crop is not None:
                icon = QIcon(QPixmap.fromImage(bgr_to_qimage(row.crop)))
                self._icons[index.row()] = icon
            return icon
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.path}, face {row.face}"
        if role == ROW_ROLE:
            return row
        return None

    def add_rows(self, rows: list[LabelRow]) -> None:
        faces = [r for r in rows if r.status == STATUS_OK]
        if not faces:
            return
        start = len(self.faces)
        self.beginInsertRows(QModelIndex(), start, start + len(faces) - 1)
        self.faces.extend(faces)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.faces = []
        self._icons = {}
        self.endResetModel()

    def row_of(self, row: LabelRow) -> int:
        """The position of this very row object (``list.index`` compares ndarrays and raises)."""
        return next(i for i, face in enumerate(self.faces) if face is row)

    def row_changed(self, row: LabelRow) -> None:
        i = self.row_of(row)
        self.dataChanged.emit(self.index(i), self.index(i))


class FaceFilterModel(QSortFilterProxyModel):
    """Shows faces of one emotion (or all) at or above a confidence."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.emotion: str | None = None
        self.min_confidence = 0.0

    def set_filter(self, emotion: str | None, min_confidence: float) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9; invalidateFilter() is deprecated there
            self.beginFilterChange()
            self.emotion, self.min_confidence = emotion, min_confidence
            self.endFilterChange()
        else:
            self.emotion, self.min_confidence = emotion, min_confidence
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:  # noqa: N802 - Qt API
        row: LabelRow = self.sourceModel().faces[source_row]
        if self.emotion and row.emotion != self.emotion:
            return False
        return (row.confidence or 0.0) >= self.min_confidence
