"""The log dock and the non-modal notice: where errors from strategies and components show.

An error never opens a modal dialog (a strategy raising on every bar would bury the window in
them): it is written to the log with its traceback, and a notice bar above the chart says what
happened until dismissed or replaced, with a link to the log.
"""

from __future__ import annotations

import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QResizeEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from ostdesk.engine.errors import ComponentError

MAX_LOG_LINES = 20_000
ERROR_COLOR = "#e5534b"
WARNING_COLOR = "#c69026"


class LogView(QPlainTextEdit):
    """The app's messages stamped with the wall clock, errors in red with their traceback, and
    the strategies' messages under their run; bounded to the last lines."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LOG_LINES)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setPlaceholderText(
            "Messages and errors of the app (with the time they came) and of your strategies "
            "(with their run, then their bar's time in UTC) appear here."
        )
        self.setToolTip(
            "14:16:25  an app message, at the time it came\n"
            "run 4 · 2024-02-02 20:59 Strategy [SYMBOL]: a strategy's self.log message, "
            "at its bar's time (UTC)"
        )
        self.error_count = 0

    def info(self, text: str) -> None:
        self._write(text, None)

    def add_lines(self, lines: list[str], run: str = "") -> None:
        """Lines of one batch (a run's strategy messages, see ``GuiBridge.logsReady``) in one
        edit: the view lays out once a batch, not once a line. They carry their bar's time,
        so not the wall clock's: ``run`` (a run's id) begins each instead."""
        if lines:
            prefix = f"run {run} · " if run else ""
            self._append(prefix + f"\n{prefix}".join(lines), QTextCharFormat())

    def warning(self, text: str) -> None:
        self._write(text, WARNING_COLOR)

    def error(self, text: str, details: str = "") -> None:
        self.error_count += 1
        self._write(text + ("\n" + details.rstrip() if details else ""), ERROR_COLOR)

    def add_errors(self, errors: list[ComponentError]) -> None:
        for e in errors:
            self.error(f"error in {e.component}: {e.message}", e.traceback)

    def _write(self, text: str, color: str | None) -> None:
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        fmt = QTextCharFormat()
        if color is not None:
            fmt.setForeground(QColor(color))
        self._append(f"{stamp}  {text}", fmt)

    def _append(self, text: str, fmt: QTextCharFormat) -> None:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if not self.document().isEmpty():
            cursor.insertBlock()
        cursor.insertText(text, fmt)
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())


class _MiddleElidedLabel(QLabel):
    """A one-line label that cuts a text too long for it in the middle."""

    def __init__(self) -> None:
        super().__init__()
        self.full_text = ""

    def show_text(self, text: str) -> None:
        self.full_text = text
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        elided = self.fontMetrics().elidedText(
            self.full_text, Qt.TextElideMode.ElideMiddle, max(self.width(), 1)
        )
        self.setText(elided if self.width() > 1 else self.full_text)


class NoticeBar(QFrame):
    """A one-line banner for something the user should see now, without blocking them.

    A text too long for the line is cut in the middle, not at its end: an error's last words
    are its most specific ("... No space left on device"); the tooltip holds all of it."""

    detailsRequested = Signal()

    def __init__(self, parent: QWidget | None = None, *, hide_after_ms: int = 15_000) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._label = _MiddleElidedLabel()
        self._label.setTextFormat(Qt.TextFormat.PlainText)
        self._label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        details = QToolButton()
        details.setText("Show log")
        details.setAutoRaise(True)
        details.clicked.connect(self.detailsRequested)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 2, 4, 2)
        layout.addWidget(self._label, 1)
        layout.addWidget(details)
        layout.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(hide_after_ms)
        self._timer.timeout.connect(self.hide)
        self.hide()

    @property
    def text(self) -> str:
        return self._label.full_text

    def show_error(self, text: str) -> None:
        self._show(text, ERROR_COLOR)

    def show_warning(self, text: str) -> None:
        self._show(text, WARNING_COLOR)

    def _show(self, text: str, color: str) -> None:
        self._label.show_text(text)
        self._label.setToolTip(text)
        self.setStyleSheet(
            f"#noticeBar {{ border: 1px solid {color}; border-left: 4px solid {color};"
            " border-radius: 3px; }"
        )
        self.show()
        self._timer.start()
