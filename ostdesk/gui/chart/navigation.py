"""The shared x range: pan, zoom, keys, and following the latest bar.

Following is on while a run streams in and goes off as soon as the user pans back (drag, ←,
Home, ``center_on``); End or the chart's button turns it back on. Zooming while following keeps
the latest bar at the right edge.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal

#: Empty bar slots right of the latest bar while following it.
RIGHT_MARGIN = 3.0
DEFAULT_BARS = 150.0
MIN_BARS = 8.0
KEY_ZOOM = 1.25


class Navigator(QObject):
    followChanged = Signal(bool)

    def __init__(self, view: pg.ViewBox, bar_count: Callable[[], int]) -> None:
        super().__init__()
        self._view = view
        self._bar_count = bar_count
        self.follow = True
        self._width = DEFAULT_BARS  # bars the user asked to see (before clamping)

    def x_range(self) -> tuple[float, float]:
        (lo, hi), _ = self._view.viewRange()
        return float(lo), float(hi)

    def set_x_range(self, lo: float, hi: float) -> None:
        """Show ``[lo, hi]``, kept to a sane width and to a view with some bars in it."""
        n = self._bar_count()
        self._width = min(max(hi - lo, MIN_BARS), max(n * 1.05 + RIGHT_MARGIN, DEFAULT_BARS))
        width = min(self._width, max(n + RIGHT_MARGIN, MIN_BARS))
        if width < hi - lo and hi >= n - 0.5:
            lo = hi - width  # keep the latest bar where it was asked to be
        lo = min(max(lo, -width + MIN_BARS / 2), n - MIN_BARS / 2)
        self._view.setXRange(lo, lo + width, padding=0.0)

    def show_latest(self) -> None:
        right = self._bar_count() - 0.5 + RIGHT_MARGIN
        self.set_x_range(right - self._width, right)

    def set_follow(self, on: bool) -> None:
        if on == self.follow:
            return
        self.follow = on
        if on:
            self.show_latest()
        self.followChanged.emit(on)

    def center_on(self, index: int) -> None:
        self.set_follow(False)
        self.set_x_range(index - self._width / 2, index + self._width / 2)

    def pan(self, bars: float) -> None:
        lo, hi = self.x_range()
        self.set_x_range(lo + bars, hi + bars)
        if bars < 0:
            self.set_follow(False)

    def zoom(self, factor: float, anchor: float) -> None:
        lo, hi = self.x_range()
        if self.follow:
            self._width = (hi - lo) * factor
            self.show_latest()
        else:
            self.set_x_range(anchor - (anchor - lo) * factor, anchor + (hi - anchor) * factor)

    def key(self, key: int) -> bool:
        """Handle ←/→ (one bar), Home/End, +/-; False for any other key."""
        lo, hi = self.x_range()
        if key == Qt.Key.Key_Left:
            self.pan(-1.0)
        elif key == Qt.Key.Key_Right:
            self.pan(1.0)
        elif key == Qt.Key.Key_Home:
            self.set_follow(False)
            self.set_x_range(-RIGHT_MARGIN, hi - lo - RIGHT_MARGIN)
        elif key == Qt.Key.Key_End:
            self.set_follow(True)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(1 / KEY_ZOOM, (lo + hi) / 2)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom(KEY_ZOOM, (lo + hi) / 2)
        else:
            return False
        return True
