"""A window that remembers: the run it showed comes back on relaunch (symbol and view too), per
database file; without one (or with one deleted since) the empty state lists the latest runs
instead of empty axes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from ostdesk.gui.main_window import MainWindow
from ostdesk.gui.window_state import ShownRun, WindowMemory
from ostdesk.store import DEMO_SYMBOLS, Database
from ostdesk.store.runs import delete_run, update_run
from tests.gui.test_runs_browser import real_db, real_runs_template  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("isolated_settings")
TIMEOUT_MS = 20_000


def window_on(qtbot: QtBot, db: Database) -> MainWindow:
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.config_panel.data.summary is not None)  # read off-thread
    return window


def show_run(qtbot: QtBot, window: MainWindow, run_id: int) -> None:
    with qtbot.waitSignal(window.chart_loader.loaded, timeout=TIMEOUT_MS):
        window.open_run(run_id)
    qtbot.waitUntil(lambda: window.run_details.run_id == run_id, timeout=TIMEOUT_MS)


def assert_empty_state(window: MainWindow) -> None:
    """The welcome panel stands in for the chart, Run details for its plot: no axes at all."""
    assert window.central.stack.currentWidget() is window.welcome
    assert window.chart.bar_count() == 0
    details = window.run_details
    assert details.pages.currentWidget() is details.empty_state
    assert len(details.plot.equity_curve.getData()[0] or ()) == 0
    comparison = window.run_comparison
    assert comparison.pages.currentWidget() is comparison.empty_state


def test_a_relaunched_window_shows_the_run_it_showed_with_its_symbol_and_view(
    qtbot: QtBot,
    real_db: Database,  # noqa: F811
) -> None:
    first = window_on(qtbot, real_db)
    show_run(qtbot, first, 2)
    symbol = first.chart.current_symbol
    assert symbol == DEMO_SYMBOLS[1]
    first.chart.set_follow_latest(False)
    first.chart.navigator.set_x_range(1_000.0, 1_200.0)  # scrolled back to somewhere
    first.close()

    second = window_on(qtbot, real_db)
    qtbot.waitUntil(lambda: second.run_details.run_id == 2, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: second.chart.bar_count() > 0, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: second.blotters.fills_model.rowCount() > 0, timeout=TIMEOUT_MS)
    assert second.central.stack.currentWidget() is second.chart
    assert second.chart.current_symbol == symbol
    assert not second.chart.follow_latest
    assert second.chart.x_range() == pytest.approx((1_000.0, 1_200.0))
    second.close()


def test_a_deleted_run_falls_back_silently_to_the_empty_state(
    qtbot: QtBot,
    real_db: Database,  # noqa: F811
) -> None:
    first = window_on(qtbot, real_db)
    show_run(qtbot, first, 3)
    first.close()
    delete_run(real_db, 3)

    second = window_on(qtbot, real_db)
    qtbot.waitUntil(lambda: second.welcome.run_ids() == [2, 1], timeout=TIMEOUT_MS)
    assert_empty_state(second)
    assert second.log_view.error_count == 0
    assert second.notice.text == ""
    second.close()


def test_a_window_with_no_run_to_show_lists_the_latest_runs_and_opens_one(
    qtbot: QtBot,
    real_db: Database,  # noqa: F811
) -> None:
    window = window_on(qtbot, real_db)
    qtbot.waitUntil(lambda: window.welcome.run_ids() == [3, 2, 1], timeout=TIMEOUT_MS)
    assert_empty_state(window)
    assert window.welcome.run_button.text() == "Run the demo"
    assert "sma 10" in window.welcome.recent.item(1).text()

    item = window.welcome.recent.item(1)
    with qtbot.waitSignal(window.chart_loader.loaded, timeout=TIMEOUT_MS):
        window.welcome.recent.itemActivated.emit(item)
    assert window.central.stack.currentWidget() is window.chart
    assert window.chart.bar_count() > 0
    window.close()


def test_deleting_the_run_on_the_chart_returns_to_the_empty_state(
    qtbot: QtBot,
    real_db: Database,  # noqa: F811
) -> None:
    window = window_on(qtbot, real_db)
    show_run(qtbot, window, 1)
    with qtbot.waitSignal(window.run_list.runsDeleted, timeout=TIMEOUT_MS):
        window.run_list.delete_runs([1], confirm=False)
    qtbot.waitUntil(lambda: window.welcome.run_ids() == [3, 2], timeout=TIMEOUT_MS)
    assert_empty_state(window)
    window.close()
    assert WindowMemory(real_db.path).load() is None  # nothing to bring back next time


def test_each_database_file_remembers_its_own_run(tmp_path: Path) -> None:
    one, two = WindowMemory(tmp_path / "one.duckdb"), WindowMemory(tmp_path / "two.duckdb")
    one.save(ShownRun(run_id=4, symbol="DEMO-ALPHA", x_range=(10.0, 50.0), follow=False))
    two.save(ShownRun(run_id=7))
    assert WindowMemory(tmp_path / "one.duckdb").load() == ShownRun(
        run_id=4, symbol="DEMO-ALPHA", x_range=(10.0, 50.0), follow=False
    )
    assert two.load() == ShownRun(run_id=7)
    two.save(None)
    assert two.load() is None and one.load() is not None


def test_unreadable_remembered_values_are_ignored_not_raised(tmp_path: Path) -> None:
    memory = WindowMemory(tmp_path / "db.duckdb")
    settings = QSettings()
    settings.setValue(f"{memory.group}/run_id", "not a number")
    assert memory.load() is None
    settings.setValue(f"{memory.group}/run_id", "5")
    settings.setValue(f"{memory.group}/x_lo", "x")
    settings.setValue(f"{memory.group}/x_hi", "9")
    assert memory.load() == ShownRun(run_id=5, x_range=None)


def test_the_welcome_panel_stays_until_the_run_is_drawn_never_empty_axes(
    qtbot: QtBot,
    real_db: Database,  # noqa: F811
) -> None:
    window = window_on(qtbot, real_db)
    with qtbot.waitSignal(window.chart_loader.loaded, timeout=TIMEOUT_MS):
        window.open_run(2)
        assert window.central.stack.currentWidget() is window.welcome  # the bars are still loading
    assert window.central.stack.currentWidget() is window.chart
    assert window.chart.bar_count() > 0
    window.close()


def test_a_window_closed_while_its_run_loads_still_remembers_it(
    qtbot: QtBot,
    real_db: Database,  # noqa: F811
) -> None:
    first = window_on(qtbot, real_db)
    view = ShownRun(run_id=2, symbol=DEMO_SYMBOLS[1], x_range=(100.0, 300.0), follow=False)
    first.open_run(2, view=view)
    first.close()  # before the chart had the run
    assert WindowMemory(real_db.path).load() == view


def test_the_latest_runs_list_shows_every_row_within_its_width(
    qtbot: QtBot,
    real_db: Database,  # noqa: F811
) -> None:
    update_run(real_db, 2, name="a name long enough to take a line past the panel's width")
    window = window_on(qtbot, real_db)
    window.resize(1920, 1080)
    recent = window.welcome.recent
    qtbot.waitUntil(lambda: window.welcome.run_ids() == [3, 2, 1], timeout=TIMEOUT_MS)
    qtbot.waitUntil(recent.isVisible)
    view = recent.viewport().rect()
    for i in range(recent.count()):
        item = recent.item(i)
        assert view.contains(recent.visualItemRect(item)), f"row {i} is cut or scrolled away"
        shown = item.text().removesuffix("…")
        assert item.toolTip().startswith(shown)  # the whole line, when elided
    window.close()
