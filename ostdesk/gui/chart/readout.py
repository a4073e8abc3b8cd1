"""Legend text for each pane: the values at the bar under the crosshair (or the latest bar),
each series in its own colour, so the legend doubles as the OHLCV/indicator readout."""

from __future__ import annotations

import math

from PySide6.QtGui import QColor

from ostdesk.gui.chart.axis import compact, format_ts
from ostdesk.gui.chart.markers import format_price
from ostdesk.gui.chart.panes import legend_html
from ostdesk.gui.chart.series import BarSeries


def _value(v: float) -> str:
    return "—" if math.isnan(v) else format_price(v)


def price_legend(
    symbol: str,
    bars: BarSeries,
    index: int,
    up: QColor,
    down: QColor,
    lines: list[tuple[str, float, QColor]],
) -> str:
    if not 0 <= index < len(bars):
        return legend_html([(symbol, None)] + [(name, c) for name, _, c in lines])
    o, h, low, c = (float(col.view[index]) for col in (bars.open, bars.high, bars.low, bars.close))
    color = up if c >= o else down
    parts: list[tuple[str, QColor | None]] = [
        (symbol, None),
        (format_ts(int(bars.ts.view[index])), None),
        *((f"{k} {format_price(v)}", color) for k, v in (("O", o), ("H", h), ("L", low), ("C", c))),
        (f"V {compact(float(bars.volume.view[index]))}", color),
    ]
    parts += [(f"{name} {_value(v)}", c) for name, v, c in lines]
    return legend_html(parts)


def pane_legend(title: str, lines: list[tuple[str, float, QColor]], fmt: str = "") -> str:
    """``fmt`` "%" shows fractions as percentages, "k" compacts large numbers."""

    def show(v: float) -> str:
        if math.isnan(v):
            return "—"
        if fmt == "%":
            return f"{v * 100:.2f}%"
        return compact(v) if fmt == "k" else _value(v)

    short = [(name.removeprefix(title).lstrip(".") or name, v, c) for name, v, c in lines]
    short = [(name if name != title else "", v, c) for name, v, c in short]
    parts: list[tuple[str, QColor | None]] = [(title, None)]
    parts += [(f"{name} {show(v)}" if name else show(v), c) for name, v, c in short]
    return legend_html(parts)
