"""The run widgets' pyqtgraph plots: equity over drawdown, and normalised equities overlaid.

Curves of a million points stay fast through pyqtgraph's clip-to-view and peak downsampling;
times are drawn on a UTC date axis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

# distinct line colours for overlaid runs (Tableau 10), readable on light and dark backgrounds
SERIES_COLORS = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
_DRAWDOWN = QColor("#ef5350")
_LABEL_GAP_PX = 52  # about "Feb 02" wide: closer ticks of a finer level would overlap


class DateAxis(pg.DateAxisItem):
    """A UTC date axis whose labels never overlap: pyqtgraph places a finer level's ticks
    (days every 5) without regard to a coarser one's (months), so "28", "Feb" and "02" could
    print over each other; a finer tick that near a coarser one is dropped."""

    def __init__(self) -> None:
        super().__init__(utcOffset=0)

    def tickValues(
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        levels = super().tickValues(minVal, maxVal, size)
        if size <= 0:
            return levels
        gap = _LABEL_GAP_PX * (maxVal - minVal) / size
        kept: list[float] = []
        result = []
        for spacing, values in levels:
            mine = [v for v in values if all(abs(v - k) >= gap for k in kept)]
            kept += mine
            result.append((spacing, mine))
        return result


def _style(plot: pg.PlotItem, palette: QPalette) -> None:
    text = palette.color(QPalette.ColorRole.Text)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setTextPen(text)
        axis.setPen(pg.mkPen(text))
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")
    plot.setMenuEnabled(False)
    plot.showGrid(x=True, y=True, alpha=0.15)


def _seconds(ts_ns: npt.ArrayLike) -> npt.NDArray[np.float64]:
    return np.asarray(ts_ns, dtype=np.float64) / 1e9


class EquityDrawdownPlot(pg.GraphicsLayoutWidget):
    """Equity on top, drawdown (in %, filled below zero) underneath, on one time axis."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        palette = self.palette()
        self.setBackground(palette.color(QPalette.ColorRole.Base))
        self.equity_plot = self.addPlot(row=0, col=0, axisItems={"bottom": DateAxis()})
        self.drawdown_plot = self.addPlot(row=1, col=0, axisItems={"bottom": DateAxis()})
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.drawdown_plot.setXLink(self.equity_plot)
        for plot in (self.equity_plot, self.drawdown_plot):
            _style(plot, palette)
        # SI prefixes keep equity ticks short ("103", not "103000" running into the label);
        # both left axes one fixed width, so the two plots line up and never overlap it
        self.equity_plot.setLabel("left", "Equity", units="$")
        self.drawdown_plot.setLabel("left", "Drawdown", units="%")
        self.drawdown_plot.getAxis("left").enableAutoSIPrefix(False)
        width = self.fontMetrics().horizontalAdvance("-100.00") + 2 * self.fontMetrics().height()
        for plot in (self.equity_plot, self.drawdown_plot):
            plot.getAxis("left").setWidth(width)
        # the dates once, under the drawdown: the equity plot gets their height
        self.equity_plot.getAxis("bottom").setStyle(showValues=False)
        self.equity_curve = self.equity_plot.plot(
            [], [], pen=pg.mkPen(palette.color(QPalette.ColorRole.Highlight), width=1.5)
        )
        fill = QColor(_DRAWDOWN)
        fill.setAlpha(90)
        self.drawdown_curve = self.drawdown_plot.plot(
            [], [], pen=pg.mkPen(_DRAWDOWN), fillLevel=0.0, brush=fill
        )

    def set_curve(
        self, ts_ns: npt.ArrayLike, equity: npt.ArrayLike, drawdown_pct: npt.ArrayLike
    ) -> None:
        x = _seconds(ts_ns)
        self.equity_curve.setData(x, np.asarray(equity, dtype=np.float64))
        self.drawdown_curve.setData(x, -np.asarray(drawdown_pct, dtype=np.float64))
        self.equity_plot.enableAutoRange()
        self.drawdown_plot.enableAutoRange()

    def clear_curve(self) -> None:
        self.set_curve([], [], [])


class ComparisonPlot(pg.PlotWidget):
    """Equity curves of several runs, each divided by its first value (start = 100)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, axisItems={"bottom": DateAxis()})
        palette = self.palette()
        self.setBackground(palette.color(QPalette.ColorRole.Base))
        _style(self.getPlotItem(), palette)
        self.setLabel("left", "Equity (start = 100)")
        self.legend = self.addLegend(offset=(10, 10))
        self.legend.setLabelTextColor(palette.color(QPalette.ColorRole.Text))
        self.curves: list[pg.PlotDataItem] = []

    def set_curves(self, curves: Sequence[tuple[str, npt.ArrayLike, npt.ArrayLike]]) -> None:
        """``(label, ts_ns, equity)`` per run; each is normalised to start at 100."""
        for curve in self.curves:
            self.removeItem(curve)
        self.legend.clear()
        self.curves = []
        for i, (label, ts_ns, equity) in enumerate(curves):
            values = np.asarray(equity, dtype=np.float64)
            start = values[np.isfinite(values)][:1]
            normalised = 100.0 * values / start[0] if len(start) and start[0] else values
            pen = pg.mkPen(SERIES_COLORS[i % len(SERIES_COLORS)], width=1.5)
            self.curves.append(self.plot(_seconds(ts_ns), normalised, pen=pen, name=label))
        self.enableAutoRange()
