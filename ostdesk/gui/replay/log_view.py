"""The replay's log: the strategy's messages up to the cursor, and none after it.

Like the chart and the blotters it shows the state at the cursor, whichever way the cursor
moved: forward it appends what the cursor passed; back it removes the lines after the cursor
(so stepping back and forth never repeats a line); a jump further than the view holds rebuilds
it from the run's messages. It holds the last ``REPLAY_LOG_LINES`` before the cursor: what
one reads while a replay plays; Run details lists many more. Measured on a run logging each
of 200,000 bars: ~75 ms to rebuild 20,000 lines at a seek and ~37 ms to append a Max-speed
frame's 2,000, against the 100 ms a whole seek may take; at 2,000 lines, a few ms.
"""

from __future__ import annotations

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QWidget

from ostdesk.gui.replay.messages import RunMessages
from ostdesk.gui.strategy_log import StrategyLogView

REPLAY_LOG_LINES = 2_000


class ReplayLogView(StrategyLogView):
    """Shows the last of the replayed run's first ``n`` messages (``n``: the cursor's count),
    at most ``REPLAY_LOG_LINES``; after a step back, those the view still held."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Replay a run: its strategy's messages appear here as it reaches them.",
            parent,
            max_lines=REPLAY_LOG_LINES,
        )
        self._messages = RunMessages.empty()
        self._shown = 0  # messages up to the cursor; the view holds the last `_held` of them
        self._held = 0

    def reset(self, messages: RunMessages, run_id: int) -> None:
        """Start over for a newly opened run (nothing shown until the cursor is set)."""
        self._messages = messages
        self._shown = self._held = 0
        self.clear()
        self.setPlaceholderText(
            f"Run {run_id}: its strategy's messages appear here as the replay reaches their bar."
            if len(messages)
            else f"Run {run_id} logged no messages."
        )

    def show_count(self, n: int) -> None:
        """Show the first ``n`` messages (the last ``max_lines`` of them)."""
        shown, held, most = self._shown, self._held, self.max_lines
        if n == shown:
            return
        if shown < n < shown + most:
            self.append_lines(self._messages.lines(shown, n))
            self._held = min(held + n - shown, most)
        elif shown - held < n < shown:
            self._remove_last(shown - n)
            self._held = held - (shown - n)
        else:
            start = max(0, n - most)
            self.set_lines(self._messages.lines(start, n))
            self._held = n - start
        self._shown = n
        self._show_latest()

    def _show_latest(self) -> None:
        """Put the text cursor at the start of the last line, which the view keeps in sight
        (also when shown or resized later): a rebuilt view showed its oldest lines, and a
        view laid out narrower than its lines their ends."""
        cursor = self.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def _remove_last(self, count: int) -> None:
        """Remove the last ``count`` lines (fewer than the view holds)."""
        doc = self.document()
        cursor = QTextCursor(doc.findBlockByNumber(doc.blockCount() - count))
        cursor.movePosition(QTextCursor.MoveOperation.PreviousCharacter)  # the line break
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
