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
        self.equity_plot = self.addPlot(
            row=0, col=0, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)}
        )
        self.drawdown_plot = self.addPlot(
            row=1, col=0, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)}
        )
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.drawdown_plot.setXLink(self.equity_plot)
        for plot, label in ((self.equity_plot, "Equity"), (self.drawdown_plot, "Drawdown %")):
            _style(plot, palette)
            plot.setLabel("left", label)
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
        super().__init__(parent, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
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
