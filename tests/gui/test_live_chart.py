"""The live chart feed: bars and indicator values from the bridge reach the chart in step."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig, BacktestRun
from ostdesk.gui.batches import BarColumns, IndicatorColumns
from ostdesk.gui.blotter import Blotters
from ostdesk.gui.bridge import GuiBridge
from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.live_chart import LiveChartFeed
from ostdesk.gui.runs.chart_data import show_in_chart
from ostdesk.gui.runs.queries import load_chart_data
from ostdesk.gui.runs.worker import RunWorker
from ostdesk.store import Database, install_demo_data
from ostdesk.store.backtests import prepare_backtest
from ostdesk.strategies.sma_cross import SmaCross
from ostdesk.timeparse import parse_when
from tests.engine.data import random_walk_chunk


def bar_columns(start: int, n: int) -> BarColumns:
    ts = np.arange(start, start + n, dtype=np.int64) * 60 * 10**9
    close = 100.0 + np.arange(start, start + n)
    return BarColumns(ts=ts, open=close, high=close + 1, low=close - 1, close=close, volume=close)


def values(start: int, n: int) -> IndicatorColumns:
    ts = np.arange(start, start + n, dtype=np.int64) * 60 * 10**9
    return IndicatorColumns(
        ts=ts, names=("SMA(10)",), values=np.arange(start, start + n, dtype=float)[:, None]
    )


def test_indicator_values_ahead_of_their_bars_wait_for_them(qtbot, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The strategy's blocks may arrive before the datafeed's: nothing is lost or misplaced."""
    chart, blotters = ChartWidget(), Blotters()
    qtbot.addWidget(chart)
    qtbot.addWidget(blotters)
    with Database.open(db_path) as db:
        worker = RunWorker(db)
        try:
            feed = LiveChartFeed(chart, GuiBridge(), blotters, worker)
            config = BacktestConfig(strategy=SmaCross, symbols=("AAA",), period=BarPeriod.MINUTE)
            feed.start(BacktestRun(config, [random_walk_chunk(1, 1)], 1))  # never started
            feed.on_indicators({"AAA": values(0, 10)})
            feed.on_bars({"AAA": bar_columns(0, 6)})
            feed.flush()
            line = chart.panes.indicator_items["SMA(10)"].source.series.values
            assert line.view.tolist() == [0, 1, 2, 3, 4, 5]

            feed.on_bars({"AAA": bar_columns(6, 5)})
            feed.on_indicators({"AAA": values(10, 1)})
            feed.flush()
            line = chart.panes.indicator_items["SMA(10)"].source.series.values
            assert line.view.tolist() == list(range(11))
            feed.finish(BacktestRun(config, [], 0))
        finally:
            worker.close()


def test_a_finished_runs_records_are_read_off_the_main_thread_then_drawn(
    qtbot, db_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The recorded equity and round trips are read by the run worker (they held the window
    in the turn the run ended): nothing is drawn in ``finish``, and once the result arrives
    the chart ends as a reopened run shows it; unless the chart was given to a replay
    (``forget``) meanwhile, which the late result must not draw over."""
    live, reopened, replayed, blotters = ChartWidget(), ChartWidget(), ChartWidget(), Blotters()
    for widget in (live, reopened, replayed, blotters):
        qtbot.addWidget(widget)
    with Database.open(db_path) as db:
        symbol = install_demo_data(db)[0]
        config = BacktestConfig(
            strategy=SmaCross,
            symbols=(symbol,),
            period=BarPeriod.MINUTE,
            params={"fast": 5, "slow": 20},
            end_ns=parse_when("2024-01-10"),
        )
        run = prepare_backtest(db, config)
        run.run()
        assert run.recording is not None and run.recording.run_id is not None
        cur = db.cursor()
        try:
            show_in_chart(reopened, load_chart_data(cur, run.recording.run_id))
        finally:
            db.release(cur)
        expected = reopened._data[symbol].round_trips.exit_ts
        assert len(expected) > 0 and len(reopened._equity) > 0

        worker = RunWorker(db)
        try:
            feed = LiveChartFeed(live, GuiBridge(), blotters, worker)
            feed.start(run)
            feed.finish(run)
            assert len(live._data[symbol].round_trips.exit_ts) == 0  # not read in this turn
            qtbot.waitUntil(lambda: len(live._data[symbol].round_trips.exit_ts) > 0)

            replay_feed = LiveChartFeed(replayed, GuiBridge(), blotters, worker)
            replay_feed.start(run)
            replay_feed.finish(run)
            replay_feed.forget()  # F6 as the run ends
            answered: list[bool] = []
            worker.submit(lambda cur: None, lambda _: answered.append(True))  # after the read
            qtbot.waitUntil(lambda: bool(answered))
            assert len(replayed._data[symbol].round_trips.exit_ts) == 0
        finally:
            worker.close()
        assert np.array_equal(live._data[symbol].round_trips.exit_ts, expected)
        assert np.array_equal(live._equity.ts.view, reopened._equity.ts.view)
