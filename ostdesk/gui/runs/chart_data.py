"""Opening a recorded run in the chart: its data read on the worker, then handed to the
``ChartWidget`` in one go (bars, indicator lines, fills, round trips and equity per symbol)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from PySide6.QtCore import QObject, Signal

from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.runs.queries import RunChartData, load_chart_data
from ostdesk.gui.runs.worker import RunWorker
from ostdesk.store.runs import Columns


class RunChartLoader(QObject):
    """``load(run_id)`` reads the run off the GUI thread; ``loaded(RunChartData)`` follows
    (a later ``load`` wins over one in flight), or ``loadFailed(message)``."""

    loaded = Signal(object)  # RunChartData
    loadFailed = Signal(str)

    def __init__(self, worker: RunWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self._wanted: int | None = None

    def load(self, run_id: int) -> None:
        self._wanted = run_id
        self.worker.submit(lambda cur: load_chart_data(cur, run_id), self._done, self._failed)

    def _done(self, data: RunChartData) -> None:
        if int(data.run["run_id"]) == self._wanted:
            self.loaded.emit(data)

    def _failed(self, message: str) -> None:
        self.loadFailed.emit(message)


def show_in_chart(chart: ChartWidget, data: RunChartData) -> None:
    """Replace what the chart shows with the recorded run (first symbol selected)."""
    chart.clear()
    fills, trades = data.fills, data.trades
    for symbol, bars in data.bars.items():
        chart.set_bars(
            symbol, bars["ts"], bars["open"], bars["high"], bars["low"], bars["close"],
            bars["volume"],
        )  # fmt: skip
        for name, (placement, values) in data.indicators[symbol].items():
            chart.add_indicator(symbol, name, placement, pane=data.panes.get(name))
            chart.set_indicator(symbol, name, values)
        mine = fills["symbol"] == symbol
        if mine.any():
            side = np.where(fills["side"][mine] == "BUY", 1, -1).astype(np.int8)
            chart.add_fills(
                symbol, fills["ts"][mine], side, fills["quantity"][mine], fills["price"][mine],
                fills["order_id"][mine],
            )  # fmt: skip
    show_round_trips(chart, trades, data.bars)
    chart.set_equity(data.equity["ts"], data.equity["equity"])


def show_round_trips(chart: ChartWidget, trades: Columns, symbols: Iterable[str]) -> None:
    """Each symbol's recorded round trips (``run_trades`` columns) on the chart."""
    for symbol in symbols:
        mine = trades["symbol"] == symbol
        chart.set_round_trips(
            symbol, trades["entry_ts"][mine], trades["entry_price"][mine],
            trades["exit_ts"][mine], trades["exit_price"][mine], trades["pnl"][mine],
        )  # fmt: skip
