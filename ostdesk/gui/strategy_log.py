"""A run's strategy messages (``self.log``) in the window: a read-only view of lines, and the
recorded messages as lines, read on the database thread.

Live runs write their messages to the log dock (through the bridge); an opened run lists them
in Run details; a replay shows those up to its cursor (:mod:`ostdesk.gui.replay.log_view`).
Views hold a bounded number of lines (``MAX_SHOWN_LINES`` unless told): a strategy may log on
every one of a million bars, and every line of a text view costs memory and layout time; the
database keeps all of them.
"""

from __future__ import annotations

import dataclasses

import duckdb
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from ostdesk.gui.replay.messages import RunMessages
from ostdesk.store.runs import get_run, run_log_count

MAX_SHOWN_LINES = 20_000


@dataclasses.dataclass(frozen=True, slots=True)
class RecordedLog:
    """The first ``MAX_SHOWN_LINES`` messages of run ``run_id`` as lines, and how many it has."""

    run_id: int
    lines: list[str]
    total: int


def load_recorded_log(cur: duckdb.DuckDBPyConnection, run_id: int) -> RecordedLog:
    """Read and format run ``run_id``'s messages (for a worker thread: no Qt here)."""
    with_symbol = len(get_run(cur, run_id)["symbols"]) > 1
    messages = RunMessages.load(cur, run_id, with_symbol=with_symbol, limit=MAX_SHOWN_LINES)
    return RecordedLog(run_id, messages.lines(0, len(messages)), run_log_count(cur, run_id))


class StrategyLogView(QPlainTextEdit):
    """Lines of strategy messages, read-only, unwrapped, at most ``max_lines``."""

    def __init__(
        self, placeholder: str, parent: QWidget | None = None, *, max_lines: int = MAX_SHOWN_LINES
    ) -> None:
        super().__init__(parent)
        self.max_lines = max_lines
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setMaximumBlockCount(max_lines)
        self.setPlaceholderText(placeholder)

    @property
    def lines(self) -> list[str]:
        """What is shown, one string a line (for tests and copying)."""
        text = self.toPlainText()
        return text.split("\n") if text else []

    def set_lines(self, lines: list[str]) -> None:
        self.setPlainText("\n".join(lines[-self.max_lines :]))

    def append_lines(self, lines: list[str]) -> None:
        """Add ``lines`` at the end in one edit (the oldest lines go past the maximum)."""
        if lines:
            self.appendPlainText("\n".join(lines[-self.max_lines :]))
