"""Feeds the chart from the GUI bridge while a run is live, then swaps in the recorded results.

Bars and indicator values arrive as numpy columns per symbol; they are gathered and handed to
the chart once per slow tick of the bridge (at most 4 times a second; one ``append`` per
symbol), because every chart update costs a repaint (~14 ms with five panes) on the main
thread, whose Python work competes with the engine for the GIL: at the bridge's 30 Hz the
window slowed the engine to a quarter of its headless speed. The chart's turn comes
``CHART_DELAY_MS`` after the blotters' (half a tick), so the two costliest jobs of the main
thread never add up to one stall. Indicator lines are declared on first sight with the
placement the strategy declared for them. Fills become markers, the working orders of the
order book become price lines, and the equity line follows the account after each trade
batch. When the run ends, the recorded equity curve (every bar) and round trips replace the
live approximation: read on the run worker's thread (9-18 ms of DuckDB that held the window in
the turn of the bridge's last flush) and drawn in a later turn, when the result arrives.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
from PySide6.QtCore import QObject, QTimer

from ostdesk.engine.events import FillEvent
from ostdesk.engine.runner import BacktestRun
from ostdesk.gui.batches import BarColumns, FillColumns, IndicatorColumns
from ostdesk.gui.blotter import Blotters
from ostdesk.gui.bridge import GuiBridge
from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.runs.chart_data import show_round_trips
from ostdesk.gui.runs.worker import RunWorker
from ostdesk.store.runs import Columns, run_equity_points, run_trades

CHART_DELAY_MS = 125


class LiveChartFeed(QObject):
    """Connects one ``GuiBridge`` to one ``ChartWidget`` (and reads the blotters' books).
    ``worker`` reads a finished run's records off the main thread."""

    def __init__(
        self,
        chart: ChartWidget,
        bridge: GuiBridge,
        blotters: Blotters,
        worker: RunWorker,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.chart = chart
        self.blotters = blotters
        self.worker = worker
        self._run: BacktestRun | None = None  # the run shown: results of another are dropped
        self._layout: dict[str, tuple[str, str | None]] = {}
        self._declared: set[tuple[str, str]] = set()
        self._last_ts = 0
        self._symbols: list[str] = []
        self._bars: dict[str, list[BarColumns]] = {}
        self._orders_changed = False
        self._had_orders: dict[str, bool] = {}
        self._equity_ts = 0
        self._values: dict[str, list[IndicatorColumns]] = {}
        self._fills: list[FillEvent] = []
        self._bars_given: dict[str, int] = {}  # bars / indicator rows handed to the chart
        self._values_given: dict[str, int] = {}
        self._live = False
        self._timer = QTimer(self, singleShot=True, interval=CHART_DELAY_MS)
        self._timer.timeout.connect(self.flush)
        bridge.barsReady.connect(self.on_bars)
        bridge.indicatorsReady.connect(self.on_indicators)
        bridge.fillsReady.connect(self.on_fills)
        bridge.tradeEventsReady.connect(self.on_trade_events)
        bridge.progressChanged.connect(self._after_slow_tick)

    def start(self, run: BacktestRun) -> None:
        self.chart.clear()
        self.chart.set_symbols(run.config.symbols)
        self.chart.set_follow_latest(True)
        host = run.host
        layout = host.indicator_layout() if host is not None else []
        self._layout = {
            name: (placement, group if placement == "pane" else None)
            for name, placement, group in layout
        }
        self._declared.clear()
        self._last_ts = 0
        self._symbols = list(run.config.symbols)
        for symbol in self._symbols:  # panes laid out now, not in the middle of the run
            for name, (placement, pane) in self._layout.items():
                self.chart.add_indicator(symbol, name, placement, pane=pane)
                self._declared.add((symbol, name))
        self._bars.clear()
        self._values.clear()
        self._fills.clear()
        self._bars_given.clear()
        self._values_given.clear()
        self._had_orders.clear()
        self._orders_changed = False
        self._equity_ts = 0
        self._live = True
        self._run = run

    def _after_slow_tick(self, _progress: object) -> None:
        if self._live and not self._timer.isActive():
            self._timer.start()

    def on_bars(self, batch: dict[str, BarColumns]) -> None:
        for symbol, columns in batch.items():
            self._bars.setdefault(symbol, []).append(columns)
            if len(columns):
                self._last_ts = max(self._last_ts, int(columns.ts[-1]))

    def on_indicators(self, batch: dict[str, IndicatorColumns]) -> None:
        for symbol, columns in batch.items():
            self._values.setdefault(symbol, []).append(columns)

    def flush(self) -> None:
        """Hand what was gathered to the chart: bars first, then the indicator values of bars
        the chart has. The strategy's blocks may run ahead of the datafeed's: the values of
        bars not drawn yet wait for the next flush."""
        bars, self._bars = self._bars, {}
        values, self._values = self._values, {}
        for symbol, parts in bars.items():
            c = BarColumns.concat(parts)
            self.chart.append_bars(symbol, c.ts, c.open, c.high, c.low, c.close, c.volume)
            self._bars_given[symbol] = self._bars_given.get(symbol, 0) + len(c)
        for symbol, blocks in values.items():
            self._append_values(symbol, blocks)
        self._flush_fills()
        self._flush_orders_and_equity()
        self.chart.refresh()  # follow and fit now: one repaint with the data, not two or three

    def _append_values(self, symbol: str, parts: list[IndicatorColumns]) -> None:
        columns = IndicatorColumns.concat(parts)
        given = self._values_given.get(symbol, 0)
        ready = min(len(columns.ts), self._bars_given.get(symbol, 0) - given)
        if ready < len(columns.ts):
            self._values[symbol] = [
                IndicatorColumns(
                    ts=columns.ts[ready:], names=columns.names, values=columns.values[ready:]
                )
            ]
        if ready <= 0:
            return
        self._values_given[symbol] = given + ready
        for name in columns.names:
            if (symbol, name) not in self._declared:
                placement, pane = self._layout.get(name, ("pane", None))
                self.chart.add_indicator(symbol, name, placement, pane=pane)
                self._declared.add((symbol, name))
            self.chart.append_indicator(symbol, name, columns.column(name)[:ready])

    def on_fills(self, fills: list[FillEvent]) -> None:
        self._fills += fills  # drawn with the next bars: one repaint for both

    def _flush_fills(self) -> None:
        fills, self._fills = self._fills, []
        by_symbol: dict[str, list[FillEvent]] = {}
        for fill in fills:
            by_symbol.setdefault(fill.symbol, []).append(fill)
        for symbol, group in by_symbol.items():
            c = FillColumns.from_events(group)
            self.chart.add_fills(symbol, c.ts, c.side, c.quantity, c.price, c.order_id)

    def on_trade_events(self, _events: list[Any]) -> None:
        self._orders_changed = True  # the book changed: redraw its orders at the next flush

    def _flush_orders_and_equity(self) -> None:
        if self._orders_changed:
            self._orders_changed = False
            book = self.blotters.order_book
            working: dict[str, list[tuple[int, str, float]]] = {s: [] for s in self._symbols}
            for index in book.working():
                order = book.orders[index]
                lines = working.setdefault(order.symbol, [])  # market orders: no price line
                if order.limit_price is not None:
                    lines.append((order.order_id, "limit", order.limit_price))
                if order.stop_price is not None:
                    lines.append((order.order_id, "stop", order.stop_price))
            for symbol, lines in working.items():
                if lines or self._had_orders.get(symbol):
                    self.chart.set_working_orders(symbol, lines)
                self._had_orders[symbol] = bool(lines)
        if self._last_ts and self._last_ts != self._equity_ts:
            self._equity_ts = self._last_ts
            ts = np.array([self._last_ts], dtype=np.int64)
            self.chart.append_equity(ts, np.array([self.blotters.account.equity]))

    def finish(self, run: BacktestRun) -> None:
        """Show the last bars, then ask the worker for what the recorder stored: its equity
        curve and round trips replace the live ones when they arrive."""
        self._live = False
        self._timer.stop()
        self.flush()
        recording = run.recording
        if recording is None or recording.run_id is None:
            return
        run_id = recording.run_id
        self.worker.submit(
            lambda cur: _recorded(cur, run_id),
            lambda result: self._show_recorded(run, *result),
        )  # an error reaches the worker's ``failed`` (the run browser shows it)

    def forget(self) -> None:
        """The chart now shows something else (a replay): a finished run's records still
        being read are dropped when they arrive."""
        self._run = None

    def _show_recorded(self, run: BacktestRun, equity: Columns, trades: Columns) -> None:
        if run is not self._run:  # another run started since
            return
        if len(equity["ts"]):
            self.chart.set_equity(equity["ts"], equity["equity"])
        show_round_trips(self.chart, trades, run.config.symbols)


def _recorded(cur: duckdb.DuckDBPyConnection, run_id: int) -> tuple[Columns, Columns]:
    """A run's recorded equity curve and round trips."""
    return run_equity_points(cur, run_id), run_trades(cur, run_id)
