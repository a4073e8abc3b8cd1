"""A run's details, the comparison of runs and opening a run in the chart, on real runs."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.runs import RunChartLoader, RunComparison, RunDetails, RunWorker, show_in_chart
from ostdesk.gui.runs.compare import BEST, DIFFERENT
from ostdesk.gui.runs.plots import EquityDrawdownPlot
from ostdesk.gui.runs.trades import TRADE_COLUMNS
from ostdesk.store import DEMO_SYMBOLS, Database
from ostdesk.store.runs import run_bars, run_equity, run_stats, run_trades
from ostdesk.store.stats import STAT_DEFINITIONS
from tests.gui.test_runs_browser import real_db, real_runs_template  # noqa: F401 - fixtures


@pytest.fixture
def worker(real_db: Database) -> Iterator[RunWorker]:  # noqa: F811
    w = RunWorker(real_db)
    yield w
    w.close()


@pytest.fixture
def details(qtbot: QtBot, worker: RunWorker) -> RunDetails:
    widget = RunDetails(worker)
    qtbot.addWidget(widget)
    return widget


def open_run(qtbot: QtBot, details: RunDetails, run_id: int) -> None:
    with qtbot.waitSignal(details.loaded, timeout=10_000):
        details.load(run_id)


def test_details_list_every_statistic_with_its_definition_as_tooltip(
    qtbot: QtBot,
    details: RunDetails,
    real_db: Database,  # noqa: F811
) -> None:
    open_run(qtbot, details, 2)
    table = details.stats_table
    assert table.rowCount() == len(STAT_DEFINITIONS)
    names = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert names == list(STAT_DEFINITIONS)
    row = names.index("# Trades")
    assert table.item(row, 1).text() == f"{run_stats(real_db, 2)['# Trades']:,d}"
    assert table.item(row, 1).toolTip() == STAT_DEFINITIONS["# Trades"]
    assert table.item(names.index("Sharpe Ratio"), 0).toolTip() == STAT_DEFINITIONS["Sharpe Ratio"]
    assert "Run 2" in details.header.text() and "sma 10" in details.header.text()


def test_details_plot_equity_and_drawdown_below_zero(
    qtbot: QtBot,
    details: RunDetails,
    real_db: Database,  # noqa: F811
) -> None:
    open_run(qtbot, details, 1)
    equity = run_equity(real_db, 1)
    x, y = details.plot.equity_curve.getOriginalDataset()
    assert len(x) == len(equity["ts"]) > 0
    np.testing.assert_allclose(y, equity["equity"])
    assert x[0] == pytest.approx(equity["ts"][0] / 1e9)
    _, dd = details.plot.drawdown_curve.getOriginalDataset()
    assert (dd <= 0).all() and dd.min() < 0


def test_double_clicking_a_trade_asks_the_chart_to_centre_on_it(
    qtbot: QtBot,
    details: RunDetails,
    real_db: Database,  # noqa: F811
) -> None:
    open_run(qtbot, details, 3)
    trades = run_trades(real_db, 3)
    assert details.trades_model.rowCount() == len(trades["symbol"]) > 0
    with qtbot.waitSignal(details.centerRequested) as centre:
        details.trades_view.doubleClicked.emit(details.trades_model.index(0, 0))
    middle = (int(trades["entry_ts"][0]) + int(trades["exit_ts"][0])) // 2
    assert centre.args == [DEMO_SYMBOLS[2], middle]


def test_trade_list_sorts_by_a_column_and_keeps_that_order_for_the_next_run(
    qtbot: QtBot, details: RunDetails
) -> None:
    open_run(qtbot, details, 1)
    pnl_column = [key for key, _, _ in TRADE_COLUMNS].index("pnl")
    details.trades_view.sortByColumn(pnl_column, Qt.SortOrder.DescendingOrder)
    open_run(qtbot, details, 2)
    model = details.trades_model
    pnl = [model.trades["pnl"][model.rows[r]] for r in range(model.rowCount())]
    assert pnl == sorted(pnl, reverse=True)


def test_the_last_run_asked_for_is_the_one_shown(qtbot: QtBot, details: RunDetails) -> None:
    shown: list[int] = []
    details.loaded.connect(shown.append)
    details.load(1)
    details.load(3)
    qtbot.waitUntil(lambda: not details.worker.busy)
    assert shown == [3] and details.run_id == 3


def test_opening_a_run_that_does_not_exist_says_so(qtbot: QtBot, details: RunDetails) -> None:
    with qtbot.waitSignal(details.loadFailed) as failed:
        details.load(999)
    assert failed.args == ["no run with id 999"]
    assert "no run with id 999" in details.header.text()


def test_a_late_failure_of_a_run_no_longer_wanted_leaves_the_panel_as_it_is(
    qtbot: QtBot, details: RunDetails
) -> None:
    placeholder = details.header.text()
    failures: list[str] = []
    details.loadFailed.connect(failures.append)
    details.load(999)  # fails on the worker: no such run
    details.forget([999])  # deleted while loading: its failures arrive after this
    qtbot.waitUntil(lambda: not details.worker.busy)
    assert details.header.text() == placeholder
    assert details.log_view.lines == [] and failures == []


def test_comparison_overlays_normalised_equity_and_highlights_the_best(
    qtbot: QtBot,
    worker: RunWorker,
    real_db: Database,  # noqa: F811
) -> None:
    comparison = RunComparison(worker)
    qtbot.addWidget(comparison)
    with qtbot.waitSignal(comparison.loaded, timeout=10_000) as loaded:
        comparison.compare([1, 2, 3])
    assert loaded.args == [[1, 2, 3]]
    assert len(comparison.plot.curves) == 3
    for curve in comparison.plot.curves:
        assert curve.getOriginalDataset()[1][0] == pytest.approx(100.0)
    sharpe = {i: run_stats(real_db, i)["Sharpe Ratio"] for i in (1, 2, 3)}
    best = max(sharpe, key=lambda i: sharpe[i])
    assert comparison.best["Sharpe Ratio"] == best
    row = list(STAT_DEFINITIONS).index("Sharpe Ratio")
    column = [1, 2, 3].index(best)
    assert comparison.stats_table.item(row, column).background().color() == BEST
    drawdowns = {i: run_stats(real_db, i)["Max. Drawdown [%]"] for i in (1, 2, 3)}
    assert comparison.best["Max. Drawdown [%]"] == max(drawdowns, key=lambda i: drawdowns[i])
    assert "Start" not in comparison.best  # no "best" start time


def test_comparison_marks_the_parameters_that_differ(qtbot: QtBot, worker: RunWorker) -> None:
    comparison = RunComparison(worker)
    qtbot.addWidget(comparison)
    with qtbot.waitSignal(comparison.loaded, timeout=10_000):
        comparison.compare([1, 2])
    assert comparison.differing == ["Symbols", "fast"]
    table = comparison.params_table
    names = [table.verticalHeaderItem(r).text().strip() for r in range(table.rowCount())]
    assert table.item(names.index("fast"), 0).background().color() == DIFFERENT
    assert table.item(names.index("slow"), 0).background().color() != DIFFERENT
    assert [table.item(names.index("fast"), c).text() for c in (0, 1)] == ["5", "10"]
    comparison.forget([2])
    assert comparison.run_ids == [1]


def test_opening_a_run_in_the_chart_shows_its_bars_trades_and_equity(
    qtbot: QtBot,
    worker: RunWorker,
    real_db: Database,  # noqa: F811
) -> None:
    loader = RunChartLoader(worker)
    chart = ChartWidget()
    qtbot.addWidget(chart)
    with qtbot.waitSignal(loader.loaded, timeout=10_000) as loaded:
        loader.load(2)
    data = loaded.args[0]
    show_in_chart(chart, data)
    symbol = DEMO_SYMBOLS[1]
    assert chart.current_symbol == symbol
    bars = chart.price_item.bars
    assert bars is not None and len(bars) == len(run_bars(real_db, 2, symbol)["ts"])
    assert len(data.trades["pnl"]) == len(run_trades(real_db, 2)["pnl"]) > 0
    assert set(data.indicators[symbol]) and all(
        placement == "price" for placement, _ in data.indicators[symbol].values()
    )  # moving averages overlay the prices


@pytest.mark.parametrize("width", [250, 480, 900, 1600])
def test_run_plot_date_labels_never_overlap(qtbot: QtBot, width: int) -> None:
    """Four weeks across a month's end: pyqtgraph's own axis put "Feb" and "02" 10-35 px
    apart, printed over each other."""
    lo, hi = 1704724200.0, 1706907600.0  # 2024-01-08 14:30 to 2024-02-02 21:00 UTC
    plot = EquityDrawdownPlot()
    qtbot.addWidget(plot)
    plot.set_curve(np.array([lo, hi]) * 1e9, [1.0, 2.0], [0.0, 1.0])
    plot.grab()  # a paint gives the axis its font metrics
    axis = plot.drawdown_plot.getAxis("bottom")
    levels = axis.tickValues(lo, hi, width)
    pixels = sorted((v - lo) * width / (hi - lo) for _, values in levels for v in values)
    assert len(pixels) >= 3
    assert min(b - a for a, b in itertools.pairwise(pixels)) >= 40  # wider than "Feb", "2024"


def test_a_result_queued_before_close_is_dropped_not_delivered_to_closing_widgets(
    qtbot: QtBot,
    real_db: Database,  # noqa: F811
) -> None:
    """A view whose callback submits again (a refresh after a recovery) met a closed worker."""
    worker = RunWorker(real_db)
    delivered: list[object] = []
    worker.submit(lambda cur: cur.execute("SELECT 1").fetchone(), delivered.append)
    worker.close()  # the job ran; its result waits in the event queue
    qtbot.wait(50)
    assert delivered == []
    with pytest.raises(RuntimeError, match="closed"):
        worker.submit(lambda cur: None)
