"""Line items on the bar-index axis: indicators (aligned with bars) and equity/drawdown (by ts).

Lines are peak-decimated (min and max per bucket) when zoomed out, so spikes stay visible; NaN
warm-up values leave gaps.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainter, QPainterPath

from ostdesk.gui.chart import lod
from ostdesk.gui.chart.primitives import draw_lines
from ostdesk.gui.chart.series import (
    BarSeries,
    EquitySeries,
    FloatArray,
    GrowableArray,
    IndicatorSeries,
    IntArray,
)
from ostdesk.gui.chart.spancache import SpanCachedItem


class LineSource(Protocol):
    def extent(self) -> tuple[int, int]:
        """(bars whose points are final, bars with any point)."""
        ...

    def xy(self, start: int, stop: int) -> tuple[FloatArray, FloatArray]:
        """Points whose bar index is in ``[start, stop)``, x in bar units, sorted."""
        ...

    def bounds(self) -> tuple[float, float]: ...

    def value_at(self, index: int) -> float:
        """The value shown for bar ``index`` (NaN if none)."""
        ...


@dataclasses.dataclass
class IndicatorSource:
    series: IndicatorSeries

    def extent(self) -> tuple[int, int]:
        n = len(self.series.values)
        return n, n

    def xy(self, start: int, stop: int) -> tuple[FloatArray, FloatArray]:
        values = self.series.values.view
        stop = min(stop, len(values))
        start = min(max(start, 0), stop)
        return np.arange(start, stop, dtype=np.float64), values[start:stop]

    def bounds(self) -> tuple[float, float]:
        return self.series.vmin, self.series.vmax

    def value_at(self, index: int) -> float:
        values = self.series.values.view
        return float(values[index]) if 0 <= index < len(values) else float("nan")


@dataclasses.dataclass
class EquityPlacement:
    """The bar of the current symbol each equity point falls in, found once per point (points
    later than the last bar wait for it); shared by the equity and drawdown lines."""

    equity: EquitySeries
    bars: BarSeries
    _x: GrowableArray = dataclasses.field(default_factory=lambda: GrowableArray(np.float64))

    def x(self) -> FloatArray:
        eq_ts = self.equity.ts.view
        done = len(self._x)
        if done < len(eq_ts) and len(self.bars):
            stop = int(np.searchsorted(eq_ts, self.bars.last_ts, "right"))
            if stop > done:
                self._x.extend(self._place(eq_ts[done:stop], done))
        return self._x.view

    def _place(self, ts: IntArray, first: int) -> FloatArray:
        """Bar index of each point: the points themselves when they are the bars' own times
        (every bar of a single-symbol run), else a search per point."""
        bars_ts = self.bars.ts.view[first : first + len(ts)]
        if np.array_equal(bars_ts, ts):
            return np.arange(first, first + len(ts), dtype=np.float64)
        return self.bars.index_at(ts).astype(np.float64)

    def truncate(self) -> None:
        """After the equity or the bars were cut: forget the places of points now gone or
        later than the last bar (the others' bars are unchanged)."""
        keep = len(self.equity)
        if len(self.bars):
            keep = min(keep, int(np.searchsorted(self.equity.ts.view, self.bars.last_ts, "right")))
        self._x.resize(min(keep, len(self._x)) if len(self.bars) else 0)


@dataclasses.dataclass
class EquitySource:
    """Equity or drawdown points on the bar-index axis; drawing and fitting cost what is
    visible, not a search over every point."""

    placement: EquityPlacement
    column: str  # "equity" or "drawdown"

    def _values(self) -> FloatArray:
        eq = self.placement.equity
        return eq.equity.view if self.column == "equity" else eq.drawdown.view

    def extent(self) -> tuple[int, int]:
        x = self.placement.x()
        if not len(x) or x[-1] < 0:
            return 0, 0
        last = int(x[-1])
        return last, last + 1  # more points may still come for the last bar

    def xy(self, start: int, stop: int) -> tuple[FloatArray, FloatArray]:
        x = self.placement.x()
        lo, hi = np.searchsorted(x, (max(start, 0), stop), "left")
        return x[lo:hi], self._values()[lo:hi]

    def bounds(self) -> tuple[float, float]:
        eq = self.placement.equity
        return (eq.vmin, eq.vmax) if self.column == "equity" else (eq.dd_min, 0.0)

    def value_at(self, index: int) -> float:
        x = self.placement.x()
        hi = int(np.searchsorted(x, index, "right"))
        return float(self._values()[hi - 1]) if hi > 0 and x[hi - 1] >= 0 else float("nan")


@dataclasses.dataclass(frozen=True)
class _Line:
    """Cached line geometry: ``segments`` (n, 4) between finite neighbours, the points they
    come from, the fill polygon (if any), and whether the line is sparse enough for a wide pen."""

    segments: FloatArray
    x: FloatArray
    y: FloatArray
    area: QPainterPath
    sparse: bool


#: Above this many segments a line is drawn 1 px wide: wider pens go through Qt's stroker,
#: which took 750 ms for a zoomed-out oscillator whose every bucket spans the pane.
WIDE_PEN_MAX = 2000


class LineItem(SpanCachedItem):
    """One line; with ``fill`` the area between it and zero is filled (drawdown)."""

    min_px = 1.0
    tail_overlap = 1

    def __init__(self, source: LineSource, color: QColor, fill: QColor | None = None) -> None:
        super().__init__()
        self.source = source
        self.color = QColor(color)
        self._pens = (pg.mkPen(self.color, width=1.5), pg.mkPen(self.color, width=1))
        self._fill = fill
        self.data_replaced()

    def set_source(self, source: LineSource) -> None:
        self.source = source
        self.data_replaced()

    def _extent(self) -> tuple[int, int]:
        return self.source.extent()

    def _data_bounds(self) -> QRectF:
        _, total = self.source.extent()
        lo, hi = self.source.bounds()
        if total == 0 or not (np.isfinite(lo) and np.isfinite(hi)):
            return QRectF()
        if self._fill is not None:
            lo, hi = min(lo, 0.0), max(hi, 0.0)
        return QRectF(-1.0, lo, total + 1.0, hi - lo)

    def y_range(self, x0: float, x1: float) -> tuple[float, float] | None:
        """From the cached (decimated, extremes kept) points, not a pass over the data."""
        bucket = self.ensure_span(x0, x1)
        if bucket is None:
            return None
        ys = []
        for line in (self.cached(), self.tail()):
            if isinstance(line, _Line):
                lo, hi = np.searchsorted(line.x, (x0 - bucket, x1 + bucket))
                ys.append(line.y[lo:hi])
        found = lod.finite_range(*ys)
        if found is not None and self._fill is not None:
            found = min(found[0], 0.0), max(found[1], 0.0)
        return found

    def _build(self, start: int, stop: int, bucket: int) -> _Line:
        raw_x, raw_y = self.source.xy(start, stop)
        x, y = lod.peak_line(raw_x, raw_y, bucket)
        segments = np.column_stack((x[:-1], y[:-1], x[1:], y[1:]))
        segments = np.ascontiguousarray(segments[np.isfinite(segments).all(axis=1)])
        area = QPainterPath()
        if self._fill is not None and len(x) > 1:
            # the lower envelope (every other point once decimated): a simple polygon
            fx, fy = (x[0::2], y[0::2]) if len(x) != len(raw_x) else (x, y)
            area = pg.arrayToQPath(fx, fy, connect="all", finiteCheck=False)
            area.lineTo(QPointF(float(fx[-1]), 0.0))
            area.lineTo(QPointF(float(fx[0]), 0.0))
            area.closeSubpath()
        return _Line(segments, x, y, area, len(segments) <= WIDE_PEN_MAX and bucket == 1)

    def _draw(self, painter: QPainter, geometry: object) -> int:
        assert isinstance(geometry, _Line)
        if self._fill is not None and not geometry.area.isEmpty():
            painter.fillPath(geometry.area, self._fill)
        painter.setPen(self._pens[0] if geometry.sparse else self._pens[1])
        return draw_lines(painter, geometry.segments)
