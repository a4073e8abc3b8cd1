"""A line's colour follows its identity: the same run shows each indicator line in the same
colour live, reopened from the store and replayed."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from ostdesk.engine import events as ev
from ostdesk.engine.runner import BacktestConfig, BacktestRun
from ostdesk.gui.blotter import Blotters
from ostdesk.gui.bridge import GuiBridge
from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.live_chart import LiveChartFeed
from ostdesk.gui.replay.chart_feed import ChartFeed
from ostdesk.gui.replay.timeline import RunTimeline
from ostdesk.gui.runs.chart_data import show_in_chart
from ostdesk.gui.runs.queries import load_chart_data
from ostdesk.gui.runs.worker import RunWorker
from ostdesk.store import Database, install_demo_data
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.runs import get_run
from ostdesk.strategies.sma_cross import SmaCross
from ostdesk.timeparse import parse_when


def line_colors(chart: ChartWidget) -> dict[str, str]:
    return {name: item.color.name() for name, item in chart.panes.indicator_items.items()}


def test_sma_lines_keep_their_colours_live_reopened_and_replayed(
    qtbot: QtBot, db_path: Path
) -> None:
    """SMA(5) sorts after SMA(20) by name but is declared first: it keeps the first colour
    in every view of the run (it swapped with SMA(20) when the run was reopened)."""
    with Database.open(db_path) as db:
        symbol = install_demo_data(db)[0]
        config = BacktestConfig(
            strategy=SmaCross,
            symbols=(symbol,),
            period=ev.BarPeriod.MINUTE,
            params={"fast": 5, "slow": 20},
            end_ns=parse_when("2024-01-10"),
        )
        run = prepare_backtest(db, config)
        run.run()
        assert run.recording is not None and run.recording.run_id is not None
        run_id = run.recording.run_id
        charts = [ChartWidget() for _ in range(3)]
        for chart in charts:
            qtbot.addWidget(chart)
        live, reopened, replayed = charts

        blotters = Blotters()
        qtbot.addWidget(blotters)
        worker = RunWorker(db)
        try:
            feed = LiveChartFeed(live, GuiBridge(), blotters, worker)
            feed.start(run)
            feed.finish(BacktestRun(config, [], 0))
        finally:
            worker.close()

        cur = db.cursor()
        try:
            show_in_chart(reopened, load_chart_data(cur, run_id))
        finally:
            db.release(cur)

        timeline = RunTimeline.load(db, run_id)
        ChartFeed(replayed, timeline, get_run(db, run_id)["indicators"]).show(timeline.last)

        assert list(line_colors(live)) == ["SMA(5)", "SMA(20)"]
        assert line_colors(replayed) == line_colors(live)
        assert line_colors(reopened) == line_colors(live)
