"""Crosshair: a vertical line through every pane at the bar under the cursor, a horizontal line
and a value label in the pane under it.

Lines are only in the scene while the cursor is over the chart: a hidden line would still
re-place itself (and its label) on every pan and live bar.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from ostdesk.gui.chart.panes import Pane


class Crosshair:
    def __init__(self, color: QColor, label_text: QColor) -> None:
        self._pen = pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine)
        self._fill = QColor(color)
        self._text = QColor(label_text)
        self._panes: dict[str, Pane] = {}
        self._lines: dict[str, tuple[pg.InfiniteLine, pg.InfiniteLine]] = {}
        self._shown: set[str] = set()
        self.index: int | None = None

    def attach(self, pane: Pane) -> None:
        if pane.key in self._panes:
            return
        v = pg.InfiniteLine(angle=90, movable=False, pen=self._pen)
        h = pg.InfiniteLine(
            angle=0,
            movable=False,
            pen=self._pen,
            label="{value:,.6g}",
            labelOpts={
                "position": 1.0,
                "color": self._text,
                "fill": self._fill,
                "anchors": [(1, 0.5), (1, 0.5)],
            },
        )
        for line in (v, h):
            line.setZValue(50)
        self._panes[pane.key] = pane
        self._lines[pane.key] = (v, h)

    def detach(self, pane: Pane) -> None:
        self._show(pane.key, False)
        self._panes.pop(pane.key, None)
        self._lines.pop(pane.key, None)

    def _show(self, key: str, on: bool) -> None:
        if (key in self._shown) == on:
            return
        vb = self._panes[key].vb
        for line in self._lines[key]:
            if on:
                vb.addItem(line, ignoreBounds=True)
            else:
                vb.removeItem(line)
        (self._shown.add if on else self._shown.discard)(key)

    def move(self, index: int, pane_key: str, y: float) -> None:
        self.index = index
        for key, (v, h) in self._lines.items():
            self._show(key, True)
            v.setPos(index)
            h.setVisible(key == pane_key)
            if key == pane_key:
                h.setPos(y)  # after setVisible: a hidden line's label ignores the new value

    def hide(self) -> None:
        self.index = None
        for key in list(self._shown):
            self._show(key, False)
