"""Panes: one plot row each (price, volume, an oscillator, equity), sharing the bar-index x axis.

The view box turns wheel/drag into requests the chart widget applies to all panes (so it can
clamp and follow the latest bar); only the y axis is the pane's own: it fits the visible bars
unless the user scaled it (wheel or drag on the value axis), and a double click fits it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGraphicsTextItem

from ostdesk.gui.chart.axis import DateAxis, DateTicks, ValueAxis
from ostdesk.gui.chart.primitives import draw_lines
from ostdesk.gui.chart.theme import ChartTheme

#: A fitted y range is kept while the visible data fills more than 1 / SLACK of it.
SLACK = 1.3
#: pyqtgraph's wheel step: 1.02 ** (delta / 8) per event, 120 delta per notch.
WHEEL_BASE = 1.02


class FitsY(Protocol):
    def y_range(self, x0: float, x1: float) -> tuple[float, float] | None: ...


class ChartViewBox(pg.ViewBox):
    panRequested = Signal(float)  # bars to move, positive = later
    zoomRequested = Signal(float, float)  # factor (> 1 zooms out), anchor bar index
    autoYRequested = Signal()
    yFixed = Signal()

    def __init__(self) -> None:
        super().__init__(enableMenu=False, defaultPadding=0.0)
        self.setMouseEnabled(x=True, y=False)
        self.auto_y = True

    def wheelEvent(self, ev: object, axis: int | None = None) -> None:
        delta = ev.delta()  # type: ignore[attr-defined]
        factor = WHEEL_BASE ** (-delta / 8.0)
        pos = self.mapToView(ev.pos())  # type: ignore[attr-defined]
        if axis == 1:
            self._scale_y(factor, pos.y())
        else:
            self.zoomRequested.emit(factor, pos.x())
        ev.accept()  # type: ignore[attr-defined]

    def mouseDragEvent(self, ev: object, axis: int | None = None) -> None:
        ev.accept()  # type: ignore[attr-defined]
        dif = ev.pos() - ev.lastPos()  # type: ignore[attr-defined]
        if axis == 1:
            self._scale_y(WHEEL_BASE ** (dif.y() / 2.0), self.viewRect().center().y())
            return
        sx, sy = self.viewPixelSize()
        self.panRequested.emit(-dif.x() * sx)
        if not self.auto_y and axis is None:
            self.translateBy(y=dif.y() * sy)

    def mouseClickEvent(self, ev: object) -> None:
        if ev.double():  # type: ignore[attr-defined]
            ev.accept()  # type: ignore[attr-defined]
            self.autoYRequested.emit()

    def _scale_y(self, factor: float, centre: float) -> None:
        self.auto_y = False
        self.scaleBy(x=None, y=factor, center=QPointF(0.0, centre))
        self.yFixed.emit()


class GridItem(pg.GraphicsObject):
    """Opaque grid lines at the axes' ticks, drawn in the view box's pixel coordinates.

    pyqtgraph's axis grid (alpha lines replayed from each axis' QPicture) cost ~5 ms per pane per
    frame here; these lines cost a few microseconds.
    """

    def __init__(self, vb: pg.ViewBox, dates: DateAxis, values: ValueAxis, color: QColor) -> None:
        super().__init__(vb)
        self._vb, self._dates, self._values = vb, dates, values
        self._pen = pg.mkPen(color, width=1)
        self._y_key: tuple[float, float, float] | None = None
        self._ys = np.empty(0)
        self.setZValue(-1e5)
        vb.sigRangeChanged.connect(self._on_range_changed)
        vb.sigResized.connect(self._on_resized)

    def _on_range_changed(self, *_: object) -> None:
        self.update()

    def _on_resized(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def boundingRect(self) -> QRectF:
        return self._vb.boundingRect()

    def paint(self, painter: QPainter, *args: object) -> None:
        rect = self._vb.boundingRect()
        (x0, x1), (y0, y1) = self._vb.viewRange()
        if rect.width() < 1 or x1 <= x0 or y1 <= y0:
            return
        xs = np.array(self._dates.date_ticks.ticks(x0, x1, rect.width()), dtype=np.float64)
        if self._y_key != (y0, y1, rect.height()):  # y moves rarely (see Pane.fit_y)
            levels = self._values.tickValues(y0, y1, rect.height())
            major = levels[0][1] if levels else []
            minor = levels[1][1] if len(levels) > 1 and len(major) < 3 else []
            self._ys = np.array([*major, *minor], dtype=np.float64)
            self._y_key = (y0, y1, rect.height())
        ys = self._ys
        px = (xs - x0) / (x1 - x0) * rect.width()
        py = (y1 - ys) / (y1 - y0) * rect.height()
        lines = np.concatenate(
            (
                np.column_stack((px, np.zeros_like(px), px, np.full_like(px, rect.height()))),
                np.column_stack((np.zeros_like(py), py, np.full_like(py, rect.width()), py)),
            )
        )
        painter.setPen(self._pen)
        draw_lines(painter, np.ascontiguousarray(lines))


class Pane:
    """A plot row: a PlotItem with a right-hand value axis, a legend/readout, and y fitting."""

    def __init__(
        self,
        key: str,
        ticks: DateTicks,
        theme: ChartTheme,
        *,
        stretch: int,
        value_format: Callable[[list[float], float], list[str]] | None = None,
        pad: tuple[float, float] = (0.06, 0.06),
        floor_zero: bool = False,
    ) -> None:
        self.key = key
        self.stretch = stretch
        self.pad = pad
        self.floor_zero = floor_zero
        self.fit_items: list[FitsY] = []
        self.vb = ChartViewBox()
        self.vb.autoYRequested.connect(self._on_auto_y)
        self.date_axis = DateAxis(ticks)
        self.value_axis = ValueAxis(value_format)
        if key != "price":  # short panes: major-only labels
            self.value_axis.setStyle(maxTextLevel=0, maxTickLevel=1)
        self.plot = pg.PlotItem(
            viewBox=self.vb, axisItems={"bottom": self.date_axis, "right": self.value_axis}
        )
        self.plot.hideAxis("left")
        for hidden in ("left", "top"):  # each would re-set its label's HTML on every range change
            self.plot.getAxis(hidden).enableAutoSIPrefix(False)
        self.plot.showAxis("right")
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.layout.setContentsMargins(0, 0, 0, 0)
        self.grid = GridItem(
            self.vb,
            self.date_axis,
            self.value_axis,
            theme.blend(theme.foreground, theme.grid_alpha),
        )
        for axis in (self.date_axis, self.value_axis):
            axis.setPen(pg.mkPen(theme.foreground.darker(160) if theme.dark else "#c8cbd3"))
            axis.setTextPen(pg.mkPen(theme.foreground))
        self.legend = QGraphicsTextItem(self.vb)
        self.legend.setPos(4, 0)
        self.legend.setZValue(1000)
        self.legend.setDefaultTextColor(theme.foreground)
        self._legend_html = ""
        self._last_x: tuple[float, float] | None = None

    def add(self, item: pg.GraphicsObject, *, fit: bool = True) -> None:
        self.vb.addItem(item, ignoreBounds=True)
        if fit:
            self.fit_items.append(item)

    def remove(self, item: pg.GraphicsObject) -> None:
        self.vb.removeItem(item)
        if item in self.fit_items:
            self.fit_items.remove(item)

    def show_dates(self, on: bool) -> None:
        """Only the bottom pane shows the date axis (the grids still use its ticks)."""
        self.plot.showAxis("bottom", on)

    def set_legend(self, html: str) -> None:
        if html != self._legend_html:
            self._legend_html = html
            self.legend.setHtml(html)

    def fit_y(self, x0: float, x1: float) -> None:
        """Fit y to what the items show in ``[x0, x1]``, unless the user scaled y.

        The range only moves when the data leaves it or fills less than ``1 / SLACK`` of it, so
        a pan or a live bar does not jiggle the scale (or redraw the axis) every frame.
        """
        self._last_x = (x0, x1)
        if not self.vb.auto_y:
            return
        ranges = [r for item in self.fit_items if (r := item.y_range(x0, x1)) is not None]
        if not ranges:
            return
        lo = 0.0 if self.floor_zero else min(r[0] for r in ranges)
        hi = max(r[1] for r in ranges)
        span = hi - lo
        if span <= 0:
            span = max(abs(hi) * 0.01, 1e-9)
            lo, hi = lo - span / 2, hi + span / 2
        (_, _), (y0, y1) = self.vb.viewRange()
        if y0 <= lo and hi <= y1 and y1 - y0 <= span * SLACK:
            return
        self.vb.setYRange(lo - span * self.pad[0], hi + span * self.pad[1], padding=0.0)

    def _on_auto_y(self) -> None:
        self.vb.auto_y = True
        if self._last_x is not None:
            self.fit_y(*self._last_x)


def legend_html(parts: list[tuple[str, QColor | None]]) -> str:
    """Spans of text, each in its colour (None: the legend's default)."""
    spans = []
    for text, color in parts:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(" ", "&nbsp;")
        spans.append(f'<span style="color:{color.name()}">{escaped}</span>' if color else escaped)
    return '<span style="font-size:9pt">' + "&nbsp;&nbsp;".join(spans) + "</span>"
