"""Blotter views: sorting, filtering, copy, CSV export, remembered columns, double-click."""

from __future__ import annotations

import csv
from pathlib import Path

import backtesting
import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from ostdesk.engine.commission import CommissionModel
from ostdesk.engine.events import BarPeriod, OrderType, RejectionReason, Side
from ostdesk.engine.runner import BacktestConfig
from ostdesk.gui.blotter import Blotters
from ostdesk.gui.blotter.views import FIT_ROWS, BlotterView
from ostdesk.gui.recorded_blotters import load_blotter_events
from ostdesk.store import Database, import_bars
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.export import export_run
from ostdesk.strategies.sma_cross import SmaCross
from tests.gui.test_blotter_models import Signals, table
from tests.gui.test_book import MINUTE, T0, Script

SYMBOLS = ("MSFT", "AAPL", "EURUSD", "AMZN")
GOOG_CSV = Path(backtesting.__file__).parent / "test" / "GOOG.csv"


def settings_at(path: Path) -> QSettings:
    return QSettings(str(path), QSettings.IniFormat)


@pytest.fixture
def blotters(qtbot, tmp_path: Path) -> Blotters:  # type: ignore[no-untyped-def]
    widget = Blotters(100_000.0, settings=settings_at(tmp_path / "ui.ini"))
    qtbot.addWidget(widget)
    return widget


def eight_orders() -> Script:
    """Orders 1..8: symbols cycle, every other order sells, quantities out of order, #6 rejected."""
    s = Script()
    for oid, qty in zip(range(1, 9), (30, 10, 80, 20, 70, 40, 60, 50), strict=True):
        side = Side.SELL if oid % 2 == 0 else Side.BUY
        s.submit(oid, SYMBOLS[oid % 4], side, OrderType.LIMIT, float(qty), limit=100.0 + oid)
        if oid == 6:
            s.reject(oid, RejectionReason.INVALID_PRICE, "bad, really bad")
        else:
            s.accept(oid)
    return s


def column(blotters: Blotters, name: str) -> int:
    return [c.name for c in blotters.orders_model.columns].index(name)


def column_of(view: BlotterView, name: str) -> int:
    return [c.name for c in view.model.columns].index(name)


def ids(blotters: Blotters) -> list[int]:
    return [int(row["Order ID"]) for row in table(blotters.orders_model)]


def test_orders_are_newest_first_by_default(blotters: Blotters) -> None:
    blotters.apply(eight_orders().events)
    assert ids(blotters) == [8, 7, 6, 5, 4, 3, 2, 1]
    header = blotters.orders_view.table.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        column(blotters, "Time"),
        Qt.SortOrder.DescendingOrder,
    )


def test_clicking_a_header_sorts_by_number_then_reverses(blotters: Blotters, qtbot) -> None:  # type: ignore[no-untyped-def]
    blotters.apply(eight_orders().events)
    view = blotters.orders_view.table
    view.sortByColumn(column(blotters, "Qty"), Qt.SortOrder.AscendingOrder)
    assert [r["Qty"] for r in table(blotters.orders_model)] == [
        "10", "20", "30", "40", "50", "60", "70", "80"
    ]  # fmt: skip
    view.sortByColumn(column(blotters, "Qty"), Qt.SortOrder.DescendingOrder)
    assert ids(blotters) == [3, 5, 7, 8, 6, 1, 4, 2]


def test_sorting_by_text_keeps_ties_newest_first_when_descending(blotters: Blotters) -> None:
    blotters.apply(eight_orders().events)
    view = blotters.orders_view.table
    view.sortByColumn(column(blotters, "Symbol"), Qt.SortOrder.AscendingOrder)
    rows = table(blotters.orders_model)
    assert [(r["Symbol"], r["Order ID"]) for r in rows] == [
        ("AAPL", "1"), ("AAPL", "5"), ("AMZN", "3"), ("AMZN", "7"),
        ("EURUSD", "2"), ("EURUSD", "6"), ("MSFT", "4"), ("MSFT", "8"),
    ]  # fmt: skip
    view.sortByColumn(column(blotters, "Symbol"), Qt.SortOrder.DescendingOrder)
    assert ids(blotters)[:2] == [8, 4]


def test_sort_keeps_the_selection_on_the_same_orders(blotters: Blotters) -> None:
    blotters.apply(eight_orders().events)
    view = blotters.orders_view.table
    view.selectRow(ids(blotters).index(5))
    view.sortByColumn(column(blotters, "Qty"), Qt.SortOrder.AscendingOrder)
    (selected,) = blotters.orders_view.selected_rows()
    assert table(blotters.orders_model)[selected]["Order ID"] == "5"


def test_new_rows_under_a_user_sort_land_in_place_in_one_insert(blotters: Blotters) -> None:
    s = eight_orders()
    blotters.apply(s.events)
    view = blotters.orders_view.table
    view.sortByColumn(column(blotters, "Qty"), Qt.SortOrder.AscendingOrder)
    view.selectRow(ids(blotters).index(4))
    signals = Signals(blotters.orders_model)
    blotters.apply(
        [s.submit(9, quantity=35.0), s.submit(10, quantity=5.0), s.submit(11, quantity=99.0)]
    )
    assert len(signals.inserted) == 1
    assert signals.resets == 0
    assert [r["Qty"] for r in table(blotters.orders_model)] == [
        "5", "10", "20", "30", "35", "40", "50", "60", "70", "80", "99"
    ]  # fmt: skip
    (selected,) = blotters.orders_view.selected_rows()
    assert table(blotters.orders_model)[selected]["Order ID"] == "4"


def test_new_rows_that_sort_together_insert_as_one_block_without_layout_change(
    blotters: Blotters,
) -> None:
    s = eight_orders()
    blotters.apply(s.events)
    blotters.orders_view.table.sortByColumn(column(blotters, "Qty"), Qt.SortOrder.AscendingOrder)
    signals = Signals(blotters.orders_model)
    blotters.apply([s.submit(9, quantity=500.0), s.submit(10, quantity=900.0)])
    assert signals.inserted == [(8, 9)]
    assert signals.layouts == 0


def test_symbol_filter_matches_any_case_substring(blotters: Blotters) -> None:
    blotters.apply(eight_orders().events)
    blotters.orders_view.symbol_box.setText("a")
    assert {r["Symbol"] for r in table(blotters.orders_model)} == {"AAPL", "AMZN"}
    blotters.orders_view.symbol_box.setText("eur")
    assert ids(blotters) == [6, 2]
    assert blotters.orders_view.count_label.text() == "2 rows"


def test_side_and_status_filters_combine(blotters: Blotters) -> None:
    blotters.apply(eight_orders().events)
    view = blotters.orders_view
    view.side_box.setCurrentIndex(view.side_box.findText("Sell"))
    assert ids(blotters) == [8, 6, 4, 2]
    view.status_box.setCurrentIndex(view.status_box.findText("Rejected"))
    assert ids(blotters) == [6]
    view.status_box.setCurrentIndex(view.status_box.findText("Working"))
    assert ids(blotters) == [8, 4, 2]


def test_rows_arriving_while_filtered_respect_the_filter(blotters: Blotters) -> None:
    s = eight_orders()
    blotters.apply(s.events)
    blotters.orders_view.symbol_box.setText("MSFT")
    signals = Signals(blotters.orders_model)
    blotters.apply([s.submit(9, "AAPL"), s.submit(10, "MSFT"), s.submit(11, "AAPL")])
    assert ids(blotters) == [10, 8, 4]
    assert signals.inserted == [(0, 0)]


def test_csv_export_writes_visible_columns_of_shown_rows_as_plain_numbers(
    blotters: Blotters, tmp_path: Path
) -> None:
    s = eight_orders()
    s.fill(1, price=1234.5, quantity=30.0, symbol="AAPL")
    blotters.apply(s.events)
    view = blotters.orders_view
    view.symbol_box.setText("AAPL")
    view.set_column_visible(column(blotters, "Updated"), False)
    out = tmp_path / "orders.csv"
    assert view.export_csv(out) == 2
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["Time", "Order ID", "Symbol", "Side", "Type", "Qty", "Limit", "Stop", "TIF", "Status",
         "Filled", "Avg price", "Reason"],
        ["2024-03-05T14:08:00Z", "5", "AAPL", "Buy", "Limit", "70", "105", "", "GTC",
         "Accepted", "0", "", ""],
        ["2024-03-05T14:00:00Z", "1", "AAPL", "Buy", "Limit", "30", "101", "", "GTC",
         "Filled", "30", "1234.5", ""],
    ]  # fmt: skip


def test_csv_export_writes_full_precision_without_noise_not_the_screen_rounding(
    blotters: Blotters, tmp_path: Path
) -> None:
    s = Script()
    s.fill(1, price=0.1 + 0.2, quantity=1 / 3, symbol="EURUSD")  # 0.30000000000000004
    blotters.apply(s.events)
    view = blotters.fills_view
    assert view.model.cell_text(0, column_of(view, "Price")) == "0.30"  # the screen
    out = tmp_path / "fills.csv"
    view.export_csv(out)
    with open(out, newline="", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    assert (row["Price"], row["Qty"]) == ("0.3", "0.333333333333")


def test_the_blotter_and_the_command_line_export_write_a_run_alike(
    qtbot, db: Database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import_bars(db, GOOG_CSV, symbol="GOOG", period="day")
    config = BacktestConfig(
        strategy=SmaCross,
        symbols=("GOOG",),
        period=BarPeriod.DAY,
        commission=CommissionModel(percent=0.1),
        slippage_ticks=1.0,
    )
    run = prepare_backtest(db, config).run()
    assert run.recording is not None and run.recording.run_id is not None
    run_id = run.recording.run_id
    cli_out = tmp_path / "cli-fills.csv"
    export_run(db, run_id, "fills", cli_out)
    widget = Blotters(100_000.0, settings=settings_at(tmp_path / "ui.ini"))
    qtbot.addWidget(widget)
    widget.reset(*load_blotter_events(db.connection, run_id))
    gui_out = tmp_path / "gui-fills.csv"
    widget.fills_view.export_csv(gui_out)
    with open(cli_out, newline="", encoding="utf-8") as f:
        cli = {row["fill_id"]: row for row in csv.DictReader(f)}
    with open(gui_out, newline="", encoding="utf-8") as f:
        gui = {row["Fill ID"]: row for row in csv.DictReader(f)}
    assert len(gui) == len(cli) > 10
    pairs = (("Time", "ts"), ("Qty", "quantity"), ("Price", "price"), ("Commission", "commission"))
    for fill_id, row in gui.items():
        assert [row[ours] for ours, _ in pairs] == [cli[fill_id][theirs] for _, theirs in pairs]
    decimals = [len(row["Commission"].partition(".")[2]) for row in gui.values()]
    assert max(decimals) > 2  # not the screen's cents


def test_csv_export_quotes_text_with_commas(blotters: Blotters, tmp_path: Path) -> None:
    blotters.apply(eight_orders().events)
    blotters.orders_view.status_box.setCurrentIndex(
        blotters.orders_view.status_box.findText("Rejected")
    )
    out = tmp_path / "rejected.csv"
    blotters.orders_view.export_csv(out)
    assert '"bad, really bad"' in out.read_text(encoding="utf-8")


def test_copy_puts_selected_rows_on_the_clipboard_as_tab_separated_text(
    blotters: Blotters,
) -> None:
    s = Script()
    s.fill(1, price=101.25, quantity=1500.0, symbol="AAPL")
    s.fill(2, price=99.5, quantity=500.0, symbol="AAPL", side=Side.SELL)
    blotters.apply(s.events)
    view = blotters.fills_view
    view.table.selectRow(0)
    view.table.selectionModel().select(
        blotters.fills_model.index(1, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    text = view.copy_selection()
    assert QGuiApplication.clipboard().text() == text
    assert text.splitlines() == [
        "Time\tFill ID\tOrder ID\tSymbol\tSide\tQty\tPrice\tCommission\tRealised P&L",
        "2024-03-05 14:01:00\t2\t2\tAAPL\tSell\t500\t99.50\t1.00\t-875.00",
        "2024-03-05 14:00:00\t1\t1\tAAPL\tBuy\t1500\t101.25\t1.00\t0.00",
    ]


def test_column_visibility_widths_and_order_are_remembered(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = settings_at(tmp_path / "remember.ini")
    first = Blotters(settings=settings)
    qtbot.addWidget(first)
    header = first.fills_view.table.horizontalHeader()
    first.fills_view.set_column_visible(1, False)
    header.resizeSection(3, 211)
    header.moveSection(header.visualIndex(6), 0)
    assert settings.contains("blotter/fills/header")

    second = Blotters(settings=settings)
    qtbot.addWidget(second)
    again = second.fills_view.table.horizontalHeader()
    assert again.isSectionHidden(1)
    assert again.sectionSize(3) == 211
    assert again.logicalIndex(0) == 6
    assert second.fills_view.visible_columns()[0] == 6
    assert not second.orders_view.table.horizontalHeader().isSectionHidden(1)


def test_strategy_column_starts_hidden_and_can_be_shown(blotters: Blotters) -> None:
    strategy = column(blotters, "Strategy")
    header = blotters.orders_view.table.horizontalHeader()
    assert header.isSectionHidden(strategy)
    blotters.orders_view.set_column_visible(strategy, True)
    assert not header.isSectionHidden(strategy)


@pytest.mark.parametrize("which", ["orders", "fills"])
def test_double_click_asks_the_chart_to_centre_on_the_order_or_fill(
    blotters: Blotters,
    qtbot,  # type: ignore[no-untyped-def]
    which: str,
) -> None:
    s = Script()
    blotters.apply([s.submit(1, "MSFT"), s.accept(1), s.fill(1, price=400.0, symbol="MSFT")])
    view = blotters.orders_view if which == "orders" else blotters.fills_view
    blotters.tabs.setCurrentWidget(view)
    blotters.resize(900, 300)
    blotters.show()
    qtbot.waitExposed(blotters)
    rect = view.table.visualRect(view.model.index(0, 2))
    viewport = view.table.viewport()
    with qtbot.waitSignal(blotters.centerRequested) as signal:
        # A real double-click is a click followed by a double-click event on the same cell.
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    expected_ts = T0 if which == "orders" else T0 + 2 * MINUTE
    assert signal.args == ["MSFT", expected_ts]


def test_ctrl_c_in_the_table_copies_whole_rows(blotters: Blotters, qtbot) -> None:  # type: ignore[no-untyped-def]
    s = Script()
    blotters.apply([s.submit(1, "AAPL"), s.submit(2, "MSFT")])
    blotters.tabs.setCurrentWidget(blotters.orders_view)
    blotters.show()
    qtbot.waitExposed(blotters)
    table_view = blotters.orders_view.table
    table_view.setFocus()
    table_view.selectRow(1)
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(table_view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0].startswith("Time\tOrder ID\tSymbol")
    assert lines[1].split("\t")[1:3] == ["1", "AAPL"]


def test_columns_fit_a_new_runs_first_rows_once_not_each_replay_reset(
    blotters: Blotters, qtbot: QtBot
) -> None:
    s = Script()
    long_symbol = "DEMO-ALPHA-LONG-NAMED-SYMBOL"
    s.submit(1, long_symbol, Side.BUY, OrderType.LIMIT, 10.0, limit=100.0)
    s.accept(1)
    view, symbol = blotters.orders_view, column(blotters, "Symbol")
    header = view.table.horizontalHeader()
    header.resizeSection(symbol, 40)
    blotters.load_events(s.events)  # a run opened: its rows read whole (on the next turn)
    qtbot.waitUntil(lambda: header.sectionSize(symbol) > 40)
    fitted = header.sectionSize(symbol)
    assert fitted >= view.table.sizeHintForColumn(symbol)

    header.resizeSection(symbol, 40)  # the trader narrows it during a replay
    book, account = blotters.order_book, blotters.account
    for _ in range(3):  # a replay's far moves: resets of books built elsewhere
        blotters.show_books(book, account)
    qtbot.wait(20)  # a fit would have been posted to the event loop: let it run
    assert header.sectionSize(symbol) == 40

    blotters.load_events(s.events)  # the next run fits again
    qtbot.waitUntil(lambda: header.sectionSize(symbol) == fitted)


def test_fitted_columns_are_as_wide_as_qts_fit_over_every_row(
    blotters: Blotters, qtbot: QtBot
) -> None:
    """A fit measures a few likely-widest cells a column, yet every column ends as wide as
    Qt's own fit measuring all rows: the widest cells lie past the rows Qt would measure
    (the oldest orders, at the bottom), and symbols of one length differ in pixels."""
    s = Script()
    n = FIT_ROWS + 15
    for oid in range(1, n + 1):
        symbol = "WWWWWW" if oid == 1 else "iiiiii" if oid == 2 else SYMBOLS[oid % 4]
        side = Side.SELL if oid % 3 == 0 else Side.BUY
        price = 12_345.5 if oid == 3 else 100.0 + oid
        qty = 1_234_567.0 if oid == 4 else float(oid)
        s.submit(oid, symbol, side, OrderType.LIMIT, qty, limit=price)
        s.accept(oid)
        if oid not in (5, 6):  # those two still work
            s.fill(oid, price=price, quantity=qty, symbol=symbol, side=side)
    blotters.load_events(s.events)
    for view in blotters._views():
        assert view.model.rowCount() > 0, view.name
        table, header = view.table, view.table.horizontalHeader()
        shown = [i for i in range(header.count()) if not header.isSectionHidden(i)]
        for i in shown:
            header.resizeSection(i, 10)
        view.fit_columns()
        header.setResizeContentsPrecision(-1)  # Qt measures every row: the reference
        for i in shown:
            needed = max(table.sizeHintForColumn(i), header.sectionSizeHint(i))
            assert header.sectionSize(i) == needed, (view.name, view.model.columns[i].name)
        header.setResizeContentsPrecision(FIT_ROWS)
    assert blotters.orders_model.rowCount() > FIT_ROWS
