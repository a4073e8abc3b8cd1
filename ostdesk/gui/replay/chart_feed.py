"""Shows a replay timeline at a cursor on the chart, through the chart's ordinary feeding calls.

The chart is given the whole run once (bars, indicator values, fills, equity: checked and
copied once) and then shows the prefix at the cursor; every move after that only changes how
much of what it holds is shown (``ChartWidget.show_prefix``), so a move costs what is redrawn,
not what was passed, whichever its direction or length. The chart
then shows what a live run drew up to that bar.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.replay.timeline import RunTimeline

#: A line whose values stay within this relative distance of the close is drawn over prices.
OVERLAY_DISTANCE = 0.15
_GUESS_SAMPLE = 20_000  # values of a line looked at to guess where it goes

Layout = Sequence[tuple[str, str, str]]
"""``(line name, "price" | "pane", group)`` per indicator line, as
``StrategyHost.indicator_layout`` gives it; lines of one group share a pane."""


def guess_layout(timeline: RunTimeline, symbol: str) -> list[tuple[str, str, str]]:
    """Where to draw ``symbol``'s recorded lines when the strategy's own layout is not known:
    a group (``BB(20,2).upper`` and ``.lower`` are group ``BB(20,2)``) goes over the prices if
    its first line stays near the close (moving averages, bands, channels), else in a pane."""
    ind = timeline.indicators.get(symbol)
    if ind is None:
        return []
    close = timeline.bars[symbol].close
    placement: dict[str, str] = {}
    layout = []
    for i, name in enumerate(ind.names):
        group = name.split(".", 1)[0]
        if group not in placement:
            # an even sample decides as well as every value (the median's side of 15% is
            # not in doubt) at a fraction of the cost on a million-bar run
            every = max(1, len(close) // _GUESS_SAMPLE)
            values, closes = ind.values[::every, i], close[::every]
            ok = np.isfinite(values) & (closes != 0)
            distance = np.abs(values[ok] / closes[ok] - 1.0)
            near = bool(ok.any()) and float(np.median(distance)) < OVERLAY_DISTANCE
            placement[group] = "price" if near else "pane"
        layout.append((name, placement[group], group))
    return layout


class ChartFeed:
    """Keeps one ``ChartWidget`` showing ``timeline`` at the cursor; see the module docstring."""

    def __init__(
        self, chart: ChartWidget, timeline: RunTimeline, layout: Layout | None = None
    ) -> None:
        self.chart = chart
        self.timeline = timeline
        self._layout = {
            s: list(layout) if layout is not None else guess_layout(timeline, s)
            for s in timeline.symbols
        }
        self.cursor = -1
        self._trades: dict[str, int] = {}
        self._orders: dict[str, tuple[tuple[int, str, float], ...]] = {}

    def show(self, k: int) -> None:
        """Show bar ``k``."""
        if self.cursor < 0:
            self._build()
        if k != self.cursor:
            t = self.timeline
            for symbol in t.symbols:
                self.chart.show_prefix(symbol, t.bar_count(symbol, k), self._fill_count(symbol, k))
                self._round_trips(symbol, k)
            self._working_orders(k)
            self.chart.show_equity_prefix(k + 1)
        self.cursor = k

    def _build(self) -> None:
        """Give the chart the whole run (``show`` then cuts it to the cursor)."""
        chart, t = self.chart, self.timeline
        current = chart.current_symbol
        chart.clear()
        chart.set_symbols(t.symbols)
        chart.set_current_symbol(current if current in t.symbols else t.symbols[0])
        for symbol in t.symbols:
            bars = t.bars[symbol]
            chart.set_bars(symbol, bars.ts, bars.open, bars.high, bars.low, bars.close, bars.volume)
            ind = t.indicators.get(symbol)
            if ind is not None:
                for name, placement, group in self._layout[symbol]:
                    chart.add_indicator(symbol, name, placement, group)
                    chart.set_indicator(symbol, name, ind.column(name))
            fills = t.fill_columns(symbol, t.last)
            chart.add_fills(
                symbol, fills.ts, fills.side, fills.quantity, fills.price, fills.order_id
            )
            self._orders[symbol] = ()
            self._trades[symbol] = -1
        chart.set_equity(t.ts, t.equity)

    def _fill_count(self, symbol: str, k: int) -> int:
        return len(self.timeline.fill_columns(symbol, k).ts)

    def _round_trips(self, symbol: str, k: int) -> None:
        """``symbol``'s round trips closed by ``k``, if they changed."""
        trades = self.timeline.trades_until(symbol, k)
        if len(trades.pnl) != self._trades[symbol]:
            self.chart.set_round_trips(
                symbol,
                trades.entry_ts,
                trades.entry_price,
                trades.exit_ts,
                trades.exit_price,
                trades.pnl,
            )
            self._trades[symbol] = len(trades.pnl)

    def _working_orders(self, k: int) -> None:
        lines: dict[str, list[tuple[int, str, float]]] = {s: [] for s in self.timeline.symbols}
        for order in self.timeline.working_orders_at(k):
            price = order.chart_price
            if price is not None and order.symbol in lines:
                lines[order.symbol].append((order.order_id, order.order_type.value, price))
        for symbol, wanted in lines.items():
            if tuple(wanted) != self._orders[symbol]:
                self.chart.set_working_orders(symbol, wanted)
                self._orders[symbol] = tuple(wanted)
