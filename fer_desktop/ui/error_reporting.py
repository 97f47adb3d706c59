"""Unexpected errors become a dialog and a log entry, never a silent traceback on a terminal.

``sys.excepthook`` covers exceptions raised in Qt slots on the GUI thread (PySide6 hands
them to the hook); ``threading.excepthook`` covers Python threads.  Either may run off the
GUI thread, so the dialog is shown through a queued signal.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from fer_desktop.crash_log import install_log_file, record_exception


class ErrorReporter(QObject):
    reported = Signal(str, str)  # summary, traceback

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self._parent = parent
        self.log_file = install_log_file()
        self.dialog: QMessageBox | None = None
        self.count = 0
        self._previous = (sys.excepthook, threading.excepthook)
        self.reported.connect(self._show)

    def install(self) -> None:
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        if sys.excepthook == self.excepthook:
            sys.excepthook, threading.excepthook = self._previous

    def excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None, where: str = ""
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous[0](exc_type, exc, tb)
            return
        details = record_exception(exc_type, exc, tb, where)
        self.reported.emit(f"{exc_type.__name__}: {exc}", details)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        where = f"thread {args.thread.name}" if args.thread is not None else "a thread"
        self.excepthook(args.exc_type, args.exc_value, args.exc_traceback, where)

    def _show(self, summary: str, details: str) -> None:
        self.count += 1
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.setInformativeText(f"{self.count} unexpected errors so far; the latest: {summary}")
            return
        where = f"\n\nDetails were written to {self.log_file}." if self.log_file else ""
        dialog = QMessageBox(self._parent)
        dialog.setIcon(QMessageBox.Icon.Critical)
        dialog.setWindowTitle("Unexpected error")
        dialog.setText("Something went wrong.")
        dialog.setInformativeText(f"{summary}{where}\nThe app keeps running.")
        dialog.setDetailedText(details)
        dialog.setModal(False)
        dialog.show()
        self.dialog = dialog


def install_error_reporting(parent: QWidget) -> ErrorReporter:
    reporter = ErrorReporter(parent)
    reporter.install()
    return reporter
