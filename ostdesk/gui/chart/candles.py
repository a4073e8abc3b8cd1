"""Price and volume items: candlesticks, OHLC bars or a close line, merged to the zoom level."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath

from ostdesk.gui.chart import lod
from ostdesk.gui.chart.primitives import draw_lines, draw_rects
from ostdesk.gui.chart.series import BarSeries, FloatArray
from ostdesk.gui.chart.spancache import SpanCachedItem

STYLES = ("candles", "ohlc", "line")
#: Fraction of a bucket's width taken by a candle body or volume bar.
BODY = 0.7


@dataclasses.dataclass(frozen=True)
class _Shapes:
    """Per-colour primitive arrays: ``lines`` (n, 4) and ``rects`` (n, 4); ``path`` for lines."""

    merged: lod.MergedBars
    up_lines: FloatArray
    up_rects: FloatArray
    down_lines: FloatArray
    down_rects: FloatArray
    path: QPainterPath | None = None


def _empty() -> FloatArray:
    return np.empty((0, 4))


def _visible(m: lod.MergedBars, bucket: int, x0: float, x1: float) -> slice:
    """The buckets of ``m`` that overlap view ``[x0, x1]``."""
    half = (bucket - 1) / 2.0 + 0.5
    lo, hi = np.searchsorted(m.x, (x0 - half, x1 + half))
    return slice(int(lo), int(hi))


class _BarsItem(SpanCachedItem):
    def __init__(self, up: QColor, down: QColor) -> None:
        super().__init__()
        self._bars: BarSeries | None = None
        self.set_colors(up, down)

    @property
    def bars(self) -> BarSeries | None:
        return self._bars

    def set_bars(self, bars: BarSeries | None) -> None:
        self._bars = bars
        self.data_replaced()

    def set_colors(self, up: QColor, down: QColor) -> None:
        self._up, self._down = QColor(up), QColor(down)
        self._pens = (pg.mkPen(self._up), pg.mkPen(self._down))
        self.update()

    def _extent(self) -> tuple[int, int]:
        n = len(self._bars) if self._bars is not None else 0
        return n, n

    def _merged_in(self, x0: float, x1: float) -> list[lod.MergedBars]:
        """Merged buckets overlapping view ``[x0, x1]``, read from the cached span (a fit of
        y at 1,000,000 visible bars then costs microseconds, not a pass over the bars)."""
        bucket = self.ensure_span(x0, x1)
        if bucket is None:
            return []
        parts = [g.merged for g in (self.cached(), self.tail()) if isinstance(g, _Shapes)]
        out = []
        for m in parts:
            sl = _visible(m, bucket, x0, x1)
            if sl.stop > sl.start:
                out.append(
                    lod.MergedBars(
                        m.x[sl], m.open[sl], m.high[sl], m.low[sl], m.close[sl], m.volume[sl]
                    )
                )
        return out

    def _merged(self, start: int, stop: int, bucket: int) -> lod.MergedBars:
        b = self._bars
        assert b is not None
        return lod.merge_bars(
            b.open.view,
            b.high.view,
            b.low.view,
            b.close.view,
            b.volume.view,
            start,
            stop,
            bucket,
        )


class PriceItem(_BarsItem):
    """The price series in one of ``STYLES``; ``y_range`` fits the visible bars."""

    def __init__(self, up: QColor, down: QColor, line_color: QColor) -> None:
        super().__init__(up, down)
        self.style = "candles"
        self._line_pen = pg.mkPen(line_color, width=1.5)

    def set_style(self, style: str) -> None:
        if style not in STYLES:
            raise ValueError(f"chart style {style!r} is not one of {STYLES}")
        self.style = style
        self.min_px = 1.0 if style == "line" else 3.0
        self.tail_overlap = 1 if style == "line" else 0
        self.data_replaced()

    def _data_bounds(self) -> QRectF:
        b = self._bars
        if b is None or not len(b):
            return QRectF()
        return QRectF(-1.0, b.price_min, len(b) + 1.0, b.price_max - b.price_min)

    def y_range(self, x0: float, x1: float) -> tuple[float, float] | None:
        parts = self._merged_in(x0, x1)
        if not parts:
            return None
        return min(float(m.low.min()) for m in parts), max(float(m.high.max()) for m in parts)

    def _build(self, start: int, stop: int, bucket: int) -> _Shapes:
        m = self._merged(start, stop, bucket)
        if self.style == "line":
            e = _empty()
            path = pg.arrayToQPath(m.x, m.close, connect="all", finiteCheck=False)
            return _Shapes(m, e, e, e, e, path)
        up = m.close >= m.open
        half = BODY * bucket / 2.0
        wicks = np.column_stack((m.x, m.low, m.x, m.high))
        if self.style == "candles":
            bodies = np.column_stack(
                (m.x - half, m.open, np.full(len(m), 2 * half), m.close - m.open)
            )
            return _Shapes(
                m,
                np.ascontiguousarray(wicks[up]),
                np.ascontiguousarray(bodies[up]),
                np.ascontiguousarray(wicks[~up]),
                np.ascontiguousarray(bodies[~up]),
            )
        ticks_open = np.column_stack((m.x - half, m.open, m.x, m.open))
        ticks_close = np.column_stack((m.x, m.close, m.x + half, m.close))
        lines = np.concatenate((wicks, ticks_open, ticks_close))
        up3 = np.tile(up, 3)
        e = _empty()
        return _Shapes(m, np.ascontiguousarray(lines[up3]), e, np.ascontiguousarray(lines[~up3]), e)

    def _draw(self, painter: QPainter, geometry: object) -> int:
        assert isinstance(geometry, _Shapes)
        if geometry.path is not None:
            painter.setPen(self._line_pen)
            painter.drawPath(geometry.path)
            return 1
        shapes = 0
        for pen, color, lines, rects in (
            (self._pens[0], self._up, geometry.up_lines, geometry.up_rects),
            (self._pens[1], self._down, geometry.down_lines, geometry.down_rects),
        ):
            painter.setPen(pen)
            shapes += draw_lines(painter, lines)
            painter.setBrush(color)
            shapes += draw_rects(painter, rects)
        return shapes


class VolumeItem(_BarsItem):
    """Volume bars (summed per bucket), coloured by their bucket's direction."""

    def set_colors(self, up: QColor, down: QColor) -> None:
        up, down = QColor(up), QColor(down)
        up.setAlphaF(0.55)
        down.setAlphaF(0.55)
        super().set_colors(up, down)

    def _data_bounds(self) -> QRectF:
        b = self._bars
        if b is None or not len(b):
            return QRectF()
        return QRectF(-1.0, 0.0, len(b) + 1.0, b.volume_total)

    def y_range(self, x0: float, x1: float) -> tuple[float, float] | None:
        parts = self._merged_in(x0, x1)
        if not parts:
            return None
        return 0.0, max(float(m.volume.max()) for m in parts)

    def _build(self, start: int, stop: int, bucket: int) -> _Shapes:
        m = self._merged(start, stop, bucket)
        up = m.close >= m.open
        half = BODY * bucket / 2.0
        rects = np.column_stack((m.x - half, np.zeros(len(m)), np.full(len(m), 2 * half), m.volume))
        e = _empty()
        return _Shapes(m, e, np.ascontiguousarray(rects[up]), e, np.ascontiguousarray(rects[~up]))

    def _draw(self, painter: QPainter, geometry: object) -> int:
        assert isinstance(geometry, _Shapes)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._up)
        shapes = draw_rects(painter, geometry.up_rects)
        painter.setBrush(self._down)
        return shapes + draw_rects(painter, geometry.down_rects)
