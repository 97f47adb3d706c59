"""Qt item models for the Label tab's grid of face thumbnails."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, QSortFilterProxyModel, Qt
from PySide6.QtGui import QIcon, QPixmap

from fer_desktop.labelling.rows import FACE_WHOLE_IMAGE, STATUS_NO_FACE, LabelRow
from fer_desktop.labelling.session import shows
from fer_desktop.ui.widgets.frame_view import bgr_to_qimage

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
ITEM_SIZE = QSize(128, 142)  # a 96x96 thumbnail and up to three lines of caption


class FaceListModel(QAbstractListModel):
    """The faces found so far, the photos without one and the files that could not be read; each item
    shows its crop (none for a file not read) and caption (its status: why it was not read)."""

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
            return row.caption()
        if role == Qt.ItemDataRole.DecorationRole:
            icon = self._icons.get(index.row())
            if icon is None and row.crop is not None:
                icon = QIcon(QPixmap.fromImage(bgr_to_qimage(row.crop)))
                self._icons[index.row()] = icon
            return icon
        if role == Qt.ItemDataRole.ToolTipRole:
            if row.status == STATUS_NO_FACE:
                return f"{row.path}: no face found"
            if row.unreadable_reason is not None:
                return f"{row.path}: could not be read ({row.unreadable_reason})"
            whole = " (the whole image)" if row.face_source == FACE_WHOLE_IMAGE else ""
            return f"{row.path}, face {row.face}{whole}"
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.SizeHintRole:
            return ITEM_SIZE  # one size for all (uniform items): room for a corrected face's two-line caption
        return None

    def add_rows(self, rows: list[LabelRow]) -> None:
        faces = list(rows)
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

    def rows_changed(self, rows: list[LabelRow]) -> None:
        """Redraw these rows (their labels changed): one pass over the grid, whatever their number."""
        changed = {id(r) for r in rows}
        for i, face in enumerate(self.faces):
            if id(face) in changed:
                self.dataChanged.emit(self.index(i), self.index(i))

    def replace_rows(self, replacements: list[tuple[LabelRow, LabelRow]]) -> None:
        """Put each ``new`` where its ``old`` was (photos taken whole as the face, or back).

        One pass, by identity (``==`` compares arrays).
        """
        new_of = {id(old): new for old, new in replacements}
        for i, face in enumerate(self.faces):
            new = new_of.get(id(face))
            if new is not None:
                self.faces[i] = new
                self._icons.pop(i, None)
                self.dataChanged.emit(self.index(i), self.index(i))


class FaceFilterModel(QSortFilterProxyModel):
    """Shows the rows the session's filter rule (``session.shows``) takes: faces of one emotion (or
    all faces) at or above the model's confidence, the photos without a face, or unreadable files."""

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
        return shows(self.sourceModel().faces[source_row], self.emotion, self.min_confidence)
