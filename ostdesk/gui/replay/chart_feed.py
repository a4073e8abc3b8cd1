"""Shows a replay timeline at a cursor on the chart, through the chart's ordinary feeding calls.

Forward moves append what the cursor passed (bars, indicator values, fills, equity), as a live
run's batches do, so playback costs O(bars passed). A move back cuts what the chart holds to the
prefix at the cursor (``ChartWidget.truncate``: nothing is copied or laid out again); the first
showing builds the chart from that prefix. Either way the result is the same chart a live run
drew up to that bar.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.replay.timeline import RunTimeline

#: A line whose values stay within this relative distance of the close is drawn over prices.
OVERLAY_DISTANCE = 0.15

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
            values = ind.values[:, i]
            ok = np.isfinite(values) & (close != 0)
            distance = np.abs(values[ok] / close[ok] - 1.0)
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
        self._bars: dict[str, int] = {}
        self._fills: dict[str, int] = {}
        self._trades: dict[str, int] = {}
        self._orders: dict[str, tuple[tuple[int, str, float], ...]] = {}

    def show(self, k: int) -> None:
        """Show bar ``k``: append if it is ahead of what is shown, cut back if behind."""
        if k > self.cursor >= 0:
            self._advance(k)
        elif 0 <= k < self.cursor:
            self._cut(k)
        elif k != self.cursor:
            self._build(k)
        self.cursor = k

    def _build(self, k: int) -> None:
        """Start the chart over with the prefix at ``k``."""
        chart, t = self.chart, self.timeline
        current = chart.current_symbol
        chart.clear()
        chart.set_symbols(t.symbols)
        chart.set_current_symbol(current if current in t.symbols else t.symbols[0])
        for symbol in t.symbols:
            bars = t.bars_until(symbol, k)
            chart.set_bars(symbol, bars.ts, bars.open, bars.high, bars.low, bars.close, bars.volume)
            self._bars[symbol] = len(bars)
            ind = t.indicators_until(symbol, k)
            if ind is not None:
                for name, placement, group in self._layout[symbol]:
                    chart.add_indicator(symbol, name, placement, group)
                    chart.set_indicator(symbol, name, ind.column(name))
            self._fills[symbol] = 0
            self._orders[symbol] = ()
            self._trades[symbol] = -1
            self._trade_events(symbol, k)
        self._working_orders(k)
        chart.set_equity(*t.equity_until(k))

    def _cut(self, k: int) -> None:
        """Cut the chart back to the prefix at ``k`` (what it shows is a longer prefix)."""
        t = self.timeline
        for symbol in t.symbols:
            bars, fills = t.bar_count(symbol, k), len(t.fill_columns(symbol, k).ts)
            self.chart.truncate(symbol, bars, fills)
            self._bars[symbol], self._fills[symbol] = bars, fills
            self._trade_events(symbol, k)
        self._working_orders(k)
        self.chart.truncate_equity(k + 1)

    def _advance(self, k: int) -> None:
        chart, t = self.chart, self.timeline
        for symbol in t.symbols:
            n0, n1 = self._bars[symbol], t.bar_count(symbol, k)
            if n1 > n0:
                b = t.bars[symbol]
                part = slice(n0, n1)
                chart.append_bars(
                    symbol,
                    b.ts[part],
                    b.open[part],
                    b.high[part],
                    b.low[part],
                    b.close[part],
                    b.volume[part],
                )
                ind = t.indicators.get(symbol)
                if ind is not None:
                    for name, _, _ in self._layout[symbol]:
                        chart.append_indicator(symbol, name, ind.column(name)[part])
                self._bars[symbol] = n1
            self._trade_events(symbol, k)
        self._working_orders(k)
        chart.append_equity(t.ts[self.cursor + 1 : k + 1], t.equity[self.cursor + 1 : k + 1])

    def _trade_events(self, symbol: str, k: int) -> None:
        """New fills of ``symbol`` up to ``k``, and its closed round trips if they changed."""
        fills = self.timeline.fill_columns(symbol, k)
        shown = self._fills[symbol]
        if len(fills.ts) > shown:
            new = slice(shown, None)
            self.chart.add_fills(
                symbol,
                fills.ts[new],
                fills.side[new],
                fills.quantity[new],
                fills.price[new],
                fills.order_id[new],
            )
            self._fills[symbol] = len(fills.ts)
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
