"""Trade overlays on the price pane: fill markers, round-trip lines, working-order lines.

Fills and trips are stored by timestamp and mapped to bars when drawn, so a fill that arrives
before its bar still lands on the right one.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QTransform
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from ostdesk.gui.chart import lod
from ostdesk.gui.chart.axis import format_ts
from ostdesk.gui.chart.primitives import draw_lines
from ostdesk.gui.chart.series import (
    BarSeries,
    FillSeries,
    FloatArray,
    IntArray,
    RoundTrips,
    WorkingOrder,
)

#: Marker size in pixels and the gap between its tip and the fill price.
MARKER_PX = 13.0
GAP_PX = 2.0
#: Above this many visible fills, fills merge per bucket and side (lowest buy, highest sell).
MAX_MARKERS = 600


def format_price(price: float) -> str:
    return f"{price:,.2f}" if abs(price) >= 10 else f"{price:.6g}"


def _to_device(t: QTransform, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    return t.m11() * x + t.m21() * y + t.dx(), t.m12() * x + t.m22() * y + t.dy()


def _triangles(px: FloatArray, py: FloatArray, up: bool) -> QPainterPath:
    """One path of triangles whose tips sit ``GAP_PX`` from (px, py): up = below, pointing up."""
    s = MARKER_PX
    tip = py + GAP_PX if up else py - GAP_PX
    base = tip + s if up else tip - s
    xs = np.column_stack((px, px - s / 2, px + s / 2, px)).ravel()
    ys = np.column_stack((tip, base, base, tip)).ravel()
    connect = np.tile(np.array([1, 1, 1, 0], dtype=np.int32), len(px))
    return pg.arrayToQPath(xs, ys, connect=connect, finiteCheck=False)


class FillMarkersItem(pg.GraphicsObject):
    """Buy ▲ below / sell ▼ above the fill price, at the last bar with ts <= the fill's ts."""

    def __init__(self, buy: QColor, sell: QColor) -> None:
        super().__init__()
        self._fills: FillSeries | None = None
        self._bars: BarSeries | None = None
        self.set_colors(buy, sell)
        self.shapes_drawn = 0

    def set_colors(self, buy: QColor, sell: QColor) -> None:
        self._buy, self._sell = QColor(buy), QColor(sell)
        self.update()

    def set_data(self, fills: FillSeries | None, bars: BarSeries | None) -> None:
        self._fills, self._bars = fills, bars
        self.data_changed()

    def data_changed(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def boundingRect(self) -> QRectF:
        f, b = self._fills, self._bars
        if f is None or b is None or not len(f) or not len(b):
            return QRectF()
        lo, hi = min(b.price_min, f.price_min), max(b.price_max, f.price_max)
        pad = (hi - lo) * 0.2 + 1e-9
        return QRectF(-1.0, lo - pad, len(b) + 1.0, hi - lo + 2 * pad)

    def visible(self, x0: float, x1: float) -> tuple[IntArray, IntArray]:
        """(fill indices, their bar indices) for fills on bars in ``[x0, x1]``."""
        f, b = self._fills, self._bars
        if f is None or b is None or not len(f) or not len(b):
            return np.empty(0, np.int64), np.empty(0, np.int64)
        bar_ts, fill_ts = b.ts.view, f.ts.view
        i0, i1 = max(0, int(np.ceil(x0))), int(np.floor(x1))
        if i1 < i0 or i0 >= len(b):
            return np.empty(0, np.int64), np.empty(0, np.int64)
        lo = int(np.searchsorted(fill_ts, bar_ts[i0], "left"))
        hi = len(f) if i1 + 1 >= len(b) else int(np.searchsorted(fill_ts, bar_ts[i1 + 1], "left"))
        idx = np.arange(lo, hi, dtype=np.int64)
        return idx, b.index_at(fill_ts[lo:hi])

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        self.shapes_drawn = 0
        view = self.viewRect()
        vb = self.getViewBox()
        if view is None or vb is None or self._fills is None:
            return
        idx, x = self.visible(view.left(), view.right())
        if not len(idx):
            return
        side = self._fills.side.view[idx]
        price = self._fills.price.view[idx]
        xf = x.astype(np.float64)
        if len(idx) > MAX_MARKERS:
            xf, price, side = _merge_markers(
                xf, price, side, lod.bucket_size(view.width(), vb.width(), MARKER_PX)
            )
        px, py = _to_device(painter.transform(), xf, price)
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for is_buy, color in ((True, self._buy), (False, self._sell)):
            sel = side > 0 if is_buy else side < 0
            if sel.any():
                path = _triangles(px[sel], py[sel], up=is_buy)
                painter.setPen(pg.mkPen(color.darker(150), width=1))
                painter.setBrush(color)
                painter.drawPath(path)
                self.shapes_drawn += int(sel.sum())
        painter.restore()

    def fills_near(self, pos: QPointF, radius_px: float = 8.0) -> list[int]:
        """Indices of the fills whose marker is within ``radius_px`` of ``pos`` (item coords),
        nearest first."""
        vb = self.getViewBox()
        if vb is None or self._fills is None:
            return []
        sx, sy = vb.viewPixelSize()
        idx, x = self.visible(pos.x() - radius_px * sx - 1, pos.x() + radius_px * sx + 1)
        if not len(idx):
            return []
        side = self._fills.side.view[idx]
        # marker centre: half a marker beyond the tip, below buys and above sells
        offset = (GAP_PX + MARKER_PX / 2) * sy * np.where(side > 0, -1.0, 1.0)
        dx = (x - pos.x()) / sx
        dy = (self._fills.price.view[idx] + offset - pos.y()) / sy
        dist = np.hypot(dx, dy)
        order = np.argsort(dist, kind="stable")
        return [int(idx[i]) for i in order if dist[i] <= radius_px + MARKER_PX / 2]

    def tooltip(self, fill: int) -> str:
        f = self._fills
        assert f is not None
        side = "BUY" if f.side.view[fill] > 0 else "SELL"
        qty = float(f.qty.view[fill])
        return (
            f"{format_ts(int(f.ts.view[fill]))}\n"
            f"{side} {qty:g} @ {format_price(float(f.price.view[fill]))}\n"
            f"order #{int(f.order_id.view[fill])}"
        )


def _merge_markers(
    x: FloatArray, price: FloatArray, side: np.ndarray, bucket: int
) -> tuple[FloatArray, FloatArray, np.ndarray]:
    """One marker per bucket and side: the lowest buy and the highest sell."""
    out_x, out_p, out_s = [], [], []
    for s, reduce in ((1, np.minimum), (-1, np.maximum)):
        sel = side == s
        if not sel.any():
            continue
        key = np.floor(x[sel] / bucket)
        starts = np.concatenate(([0], np.flatnonzero(np.diff(key)) + 1))
        out_x.append(key[starts] * bucket + (bucket - 1) / 2.0)
        out_p.append(reduce.reduceat(price[sel], starts))
        out_s.append(np.full(len(starts), s, dtype=np.int8))
    return np.concatenate(out_x), np.concatenate(out_p), np.concatenate(out_s)


class RoundTripsItem(pg.GraphicsObject):
    """Dashed lines from entry to exit of each closed trade, win/loss coloured."""

    def __init__(self, win: QColor, loss: QColor) -> None:
        super().__init__()
        self._trips = RoundTrips.empty()
        self._prices = (0.0, 0.0)  # lowest and highest price of the trips
        self._bars: BarSeries | None = None
        self.shapes_drawn = 0
        self.set_colors(win, loss)

    def set_colors(self, win: QColor, loss: QColor) -> None:
        self._pens = tuple(pg.mkPen(c, width=1.5, style=Qt.PenStyle.DashLine) for c in (win, loss))
        self.update()

    def set_data(self, trips: RoundTrips, bars: BarSeries | None) -> None:
        self.prepareGeometryChange()
        self._trips, self._bars = trips, bars
        if len(trips.pnl):  # Qt asks for the bounds on every paint: work them out once
            self._prices = (
                min(trips.entry_price.min(), trips.exit_price.min()),
                max(trips.entry_price.max(), trips.exit_price.max()),
            )
        self.update()

    def boundingRect(self) -> QRectF:
        b = self._bars
        if b is None or not len(b) or not len(self._trips.pnl):
            return QRectF()
        lo, hi = self._prices
        return QRectF(-1.0, lo, len(b) + 1.0, hi - lo)

    def segments(self, x0: float, x1: float) -> tuple[FloatArray, np.ndarray]:
        """Visible trips as (n, 4) lines in bar/price units, and whether each one won."""
        t, b = self._trips, self._bars
        if b is None or not len(b) or not len(t.pnl):
            return np.empty((0, 4)), np.empty(0, bool)
        xa = b.index_at(t.entry_ts).astype(np.float64)
        xb = b.index_at(t.exit_ts).astype(np.float64)
        sel = (xb >= x0) & (xa <= x1) & (xa >= 0)
        lines = np.column_stack((xa[sel], t.entry_price[sel], xb[sel], t.exit_price[sel]))
        return lines, t.pnl[sel] > 0

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        view = self.viewRect()
        self.shapes_drawn = 0
        if view is None:
            return
        lines, won = self.segments(view.left(), view.right())
        for pen, sel in zip(self._pens, (won, ~won), strict=True):
            painter.setPen(pen)
            self.shapes_drawn += draw_lines(painter, np.ascontiguousarray(lines[sel]))


class WorkingOrderLines:
    """Horizontal lines for working orders in one view box, reconciled on each full set."""

    def __init__(self, view: pg.ViewBox, limit: QColor, stop: QColor) -> None:
        self._view = view
        self._limit, self._stop = QColor(limit), QColor(stop)
        self.lines: dict[int, pg.InfiniteLine] = {}

    def _color(self, kind: str) -> QColor:
        return self._stop if kind.startswith("stop") and "limit" not in kind else self._limit

    def set_orders(self, orders: tuple[WorkingOrder, ...]) -> None:
        wanted = {o.order_id: o for o in orders}
        for order_id in list(self.lines):
            if order_id not in wanted:
                self._view.removeItem(self.lines.pop(order_id))
        for order_id, order in wanted.items():
            text = f"{order.kind.upper()} #{order_id}  {format_price(order.price)}"
            color = self._color(order.kind)
            line = self.lines.get(order_id)
            if line is None:
                line = pg.InfiniteLine(
                    pos=order.price,
                    angle=0,
                    movable=False,
                    pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine),
                    label=text,
                    labelOpts={
                        "position": 0.02,
                        "color": "w",
                        "fill": color,
                        "anchors": [(0, 1), (0, 1)],
                    },
                )
                line.setZValue(20)
                self._view.addItem(line, ignoreBounds=True)
                self.lines[order_id] = line
            else:
                line.setPos(order.price)
                line.setPen(pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine))
                assert line.label is not None
                line.label.setFormat(text)
                line.label.fill = pg.mkBrush(color)
