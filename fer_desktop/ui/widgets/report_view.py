"""Confusion matrix and per-class figures of an evaluation report."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QGroupBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout

from training.contract.labels import CLASS_NAMES
from training.contract.wording import count


class ReportView(QGroupBox):
    """Accuracy, a per-class table and a shaded confusion matrix (rows true, columns predicted)."""

    def __init__(self, title: str, parent=None):
        super().__init__(title, parent)
        self.summary = QLabel("–")
        self.per_class = QTableWidget(len(CLASS_NAMES), 4)
        self.per_class.setHorizontalHeaderLabels(["precision", "recall", "F1", "support"])
        self.per_class.setVerticalHeaderLabels(list(CLASS_NAMES))
        self.confusion = QTableWidget(len(CLASS_NAMES), len(CLASS_NAMES))
        short = [n[:4] for n in CLASS_NAMES]
        self.confusion.setHorizontalHeaderLabels(short)
        self.confusion.setVerticalHeaderLabels(list(CLASS_NAMES))
        for table in (self.per_class, self.confusion):
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            fit_all_rows(table)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.per_class)
        layout.addWidget(QLabel("Confusion matrix (rows: true, columns: predicted)"))
        layout.addWidget(self.confusion)

    def show_report(self, report: dict | None) -> None:
        if not report:
            self.summary.setText("–")
            self.per_class.clearContents()
            self.confusion.clearContents()
            return
        self.summary.setText(f"accuracy {report['accuracy']:.1%} on {count(report['n'], 'image')}")
        for i, name in enumerate(CLASS_NAMES):
            m = report["per_class"][name]
            for j, value in enumerate((f"{m['precision']:.2f}", f"{m['recall']:.2f}", f"{m['f1']:.2f}",
                                       str(m["support"]))):  # fmt: skip
                self.per_class.setItem(i, j, QTableWidgetItem(value))
        for i, row in enumerate(report["confusion_matrix"]):
            total = max(sum(row), 1)
            for j, cell in enumerate(row):
                item = QTableWidgetItem(str(cell))
                shade = int(255 - 155 * cell / total)
                item.setBackground(QBrush(QColor(shade, shade, 255) if i != j else QColor(shade, 255, shade)))
                self.confusion.setItem(i, j, item)

    def cell(self, i: int, j: int) -> int:
        item = self.confusion.item(i, j)
        return int(item.text()) if item else 0


def fit_all_rows(table: QTableWidget) -> None:
    """Compact rows, and a table never squeezed below its seven classes and header: no scrolling."""
    header = table.verticalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    header.setDefaultSectionSize(table.fontMetrics().height() + 6)
    height = (
        table.horizontalHeader().sizeHint().height()
        + header.defaultSectionSize() * table.rowCount()
        + 2 * table.frameWidth()
    )
    table.setMinimumHeight(height)
    table.setMaximumHeight(height)
