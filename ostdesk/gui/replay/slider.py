"""The replay's timeline slider: one step per bar, with the run's round trips drawn under it.

Each trade is a short bar from its entry to its exit in the win or loss colour, so a trader sees
where the activity is and can drag straight to it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSlider, QStyle, QStyleOptionSlider, QWidget

from ostdesk.gui.colors import MarketColors, market_colors
from ostdesk.gui.replay.timeline import TradeMarks

_MARK_HEIGHT = 4


class TimelineSlider(QSlider):
    """A horizontal slider over bar indices that paints ``TradeMarks`` below its groove."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # ←/→ belong to the replay's step keys
        self.setMinimumWidth(240)
        self.setMinimumHeight(self.sizeHint().height() + _MARK_HEIGHT + 2)
        self._marks: TradeMarks | None = None
        self._colors = market_colors()
        self.marks_painted = 0  # for tests: trade marks drawn by the last paint

    def set_marks(self, marks: TradeMarks | None) -> None:
        self._marks = marks
        self.update()

    def set_colors(self, colors: MarketColors) -> None:
        self._colors = colors
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        marks = self._marks
        self.marks_painted = 0
        if marks is None or not len(marks.pnl) or self.maximum() <= self.minimum():
            return
        groove = self._groove()
        span = self.maximum() - self.minimum()
        top = self.height() - _MARK_HEIGHT - 1
        painter = QPainter(self)
        painter.setPen(Qt.PenStyle.NoPen)
        for wins, color in ((marks.pnl >= 0, self._colors.up), (marks.pnl < 0, self._colors.down)):
            painter.setBrush(QColor(color))
            entry = (marks.entry_bar[wins] - self.minimum()) * groove.width() / span
            exit_ = (marks.exit_bar[wins] - self.minimum()) * groove.width() / span
            for a, b in pixel_runs(entry, exit_, groove.width()):
                painter.drawRect(QRect(groove.left() + a, top, b - a, _MARK_HEIGHT))
                self.marks_painted += 1
        painter.end()

    def _groove(self) -> QRect:
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        return self.style().subControlRect(
            QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove, self
        )


def pixel_runs(x0: np.ndarray, x1: np.ndarray, width: int) -> list[tuple[int, int]]:
    """The pixel columns ``[a, b)`` covered by the spans ``x0[i]..x1[i]`` (each at least one
    pixel wide), merged: a paint costs O(width) rectangles however many trades there are."""
    if not len(x0) or width <= 0:
        return []
    a = np.clip(np.floor(x0).astype(np.int64), 0, width - 1)
    b = np.clip(np.maximum(np.ceil(x1).astype(np.int64), a + 1), 1, width)
    cover = np.zeros(width + 1, dtype=np.int64)
    np.add.at(cover, a, 1)
    np.add.at(cover, b, -1)
    on = np.concatenate(([False], np.cumsum(cover[:width]) > 0, [False]))
    edges = np.flatnonzero(on[1:] != on[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
