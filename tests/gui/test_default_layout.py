"""Readable by default at 1440x900 and 1920x1080: after Reset layout, Run details and Compare
get the room they need, and tables, the symbol box and statistic values show their content
whole (each at least as wide as its content's size hint)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from ostdesk.gui.main_window import MainWindow
from ostdesk.store import Database
from tests.gui.test_runs_browser import real_db, real_runs_template  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("isolated_settings")
TIMEOUT_MS = 20_000
SIZES = [(1440, 900), (1920, 1080)]


def assert_columns_whole(table: QTableView, what: str) -> None:
    """Every shown column at least as wide as its header and its cells ask for."""
    header = table.horizontalHeader()
    for column in range(header.count()):
        if header.isSectionHidden(column):
            continue
        wanted = max(table.sizeHintForColumn(column), header.sectionSizeHint(column))
        name = table.model().headerData(column, header.orientation())
        assert table.columnWidth(column) >= wanted, f"{what}: column {name!r} is cut"


@pytest.fixture(params=SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def window(request: pytest.FixtureRequest, qtbot: QtBot, real_db: Database) -> MainWindow:  # noqa: F811
    width, height = request.param
    window = MainWindow(real_db)
    qtbot.addWidget(window)
    window.resize(width, height)
    window.show()
    qtbot.waitUntil(lambda: window.size().width() == width)
    window.reset_layout()  # the default layout for this size
    qtbot.waitUntil(lambda: window.config_panel.data.summary is not None)
    with qtbot.waitSignal(window.chart_loader.loaded, timeout=TIMEOUT_MS):
        window.open_run(1)
    qtbot.waitUntil(lambda: window.run_details.run_id == 1, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.blotters.fills_model.rowCount() > 0, timeout=TIMEOUT_MS)
    return window


def test_run_details_get_the_room_they_need_and_show_statistics_whole(window: MainWindow) -> None:
    dock = window.docks["details"]
    assert dock.isVisible() and not dock.visibleRegion().isEmpty()
    assert dock.height() >= 0.35 * window.height()
    details = window.run_details
    assert details.plot.height() >= 200 and details.plot.width() >= 400
    stats = details.stats_table
    assert_columns_whole(stats, "statistics")
    shown = stats.columnWidth(0) + stats.columnWidth(1)
    assert stats.viewport().width() >= shown, "the values run past the table's edge"
    window.close()


def test_the_symbol_box_and_the_blotters_show_the_longest_symbol_whole(
    qtbot: QtBot, window: MainWindow
) -> None:
    box = window.chart._symbol_box
    longest = max((box.itemText(i) for i in range(box.count())), key=len)
    assert box.width() >= box.sizeHint().width()
    assert box.width() > box.fontMetrics().horizontalAdvance(longest) + 20  # text and arrow
    for view in (window.blotters.fills_view, window.blotters.orders_view):
        assert_columns_whole(view.table, view.name)
    window.close()


def test_comparison_statistics_and_parameters_are_whole(qtbot: QtBot, window: MainWindow) -> None:
    comparison = window.run_comparison
    with qtbot.waitSignal(comparison.loaded, timeout=TIMEOUT_MS):
        window.run_list.compareRequested.emit([1, 2])
    total = sum(comparison.body.sizes())
    comparison.body.setSizes([total - 120, 120])  # a split that cuts the tables
    qtbot.waitUntil(lambda: comparison.tabs.width() < 200)
    with qtbot.waitSignal(comparison.loaded, timeout=TIMEOUT_MS):
        window.run_list.compareRequested.emit([1, 2, 3])
    assert window.docks["compare"].height() >= 0.35 * window.height()
    assert comparison.pages.currentWidget() is comparison.body
    assert_columns_whole(comparison.stats_table, "compared statistics")
    assert_columns_whole(comparison.params_table, "compared parameters")
    table = comparison.stats_table
    shown = sum(table.columnWidth(c) for c in range(table.columnCount()))
    assert table.viewport().width() >= shown, "the statistics are cut: the plot took the room"
    window.close()
