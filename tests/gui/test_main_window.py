"""The main window end to end: a demo backtest run from the GUI, stop/close, layout, errors."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QSettings, Qt

from ostdesk import Strategy
from ostdesk.engine.runner import RunStatus
from ostdesk.engine.strategy_loader import StrategyCatalog, load_strategies
from ostdesk.gui.main_window import IDLE_FOLD_BYTES, STATE_KEY, MainWindow
from ostdesk.store import DEMO_SYMBOLS, Database, install_demo_data
from ostdesk.store.runs import get_run

RUN_TIMEOUT_MS = 60_000
pytestmark = pytest.mark.usefixtures("isolated_settings")


def make_window(qtbot, db: Database) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.config_panel.picker.combo.count() > 0)
    qtbot.waitUntil(lambda: window.config_panel.data.summary is not None)  # read off-thread
    if window.config_panel.data.summary.periods:
        window.config_panel.set_symbols(list(DEMO_SYMBOLS))
    return window


def window_running(qtbot, db: Database, strategy: type[Strategy]) -> MainWindow:  # type: ignore[no-untyped-def]
    """A window over the demo data with ``strategy`` added to the catalog and selected."""
    install_demo_data(db)
    window = make_window(qtbot, db)
    catalog = load_strategies()
    name = strategy.__name__
    window.config_panel.set_catalog(
        StrategyCatalog({**catalog.strategies, name: strategy}, {**catalog.sources, name: "test"})
    )
    assert window.config_panel.select_strategy(name)
    return window


def engine_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("ostdesk-")]


def test_demo_run_from_an_empty_store_fills_chart_blotters_and_run_list(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, db)
    assert window.central.stack.currentWidget() is window.welcome  # empty store: the offer is shown

    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        qtbot.mouseClick(window.welcome.run_button, Qt.MouseButton.LeftButton)
    run = finished.args[0]

    assert run.status is RunStatus.COMPLETED
    assert run.held_for > 0, "held while the window prepared for it"
    assert set(run.config.symbols) == set(DEMO_SYMBOLS)
    assert window.central.stack.currentWidget() is window.chart
    assert window.chart.bar_count() == run.bars_processed == 39_000  # every bar reached the chart
    assert window.chart.current_symbol in DEMO_SYMBOLS
    assert window.blotters.fills_model.rowCount() > 0
    assert window.blotters.positions_model.rowCount() > 0
    qtbot.waitUntil(lambda: window.run_list.model.rowCount() == 1)
    qtbot.waitUntil(lambda: window.run_list.model.value(0, "status") == "completed")
    assert window.status.progress.value() == window.status.progress.maximum()
    assert "completed" in window.status.message.text()
    qtbot.waitUntil(lambda: window.run_details.run_id == run.recording.run_id)
    assert window.run_details.stats_table.item(0, 1).text()  # its statistics, in front
    qtbot.waitUntil(lambda: not window.docks["details"].visibleRegion().isEmpty())
    assert window.log_view.error_count == 0

    window.close()
    assert engine_threads() == []


def test_closing_mid_run_cancels_it_records_cancelled_and_joins_threads(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    install_demo_data(db)
    window = make_window(qtbot, db)
    run = window.start_run()
    assert run is not None
    qtbot.waitUntil(lambda: run.bars_processed > 0, timeout=RUN_TIMEOUT_MS)
    finished = []
    window.controller.runFinished.connect(finished.append)

    window.close()

    assert finished == [run], "the window saw the run end while closing"
    assert not window.controller.running
    assert run.done  # close() joined the run's threads (within the 2 s budget)
    assert run.status is RunStatus.CANCELLED
    assert run.bars_processed < 39_000
    assert get_run(db, run.recording.run_id)["status"] == "cancelled"
    assert engine_threads() == []


def test_stop_button_ends_the_run_as_cancelled(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    install_demo_data(db)
    window = make_window(qtbot, db)
    run = window.start_run()
    assert run is not None and window.stop_action.isEnabled()
    qtbot.waitUntil(lambda: run.bars_processed > 0, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS):
        window.stop_action.trigger()
    assert run.status is RunStatus.CANCELLED
    assert window.run_action.isEnabled() and not window.stop_action.isEnabled()


class Explodes(Strategy):
    """Raises on its third bar."""

    def on_bar(self, bar) -> None:  # type: ignore[no-untyped-def]
        if len(self.close) >= 3:
            raise ZeroDivisionError("boom in on_bar")


def test_a_strategy_that_raises_shows_in_log_and_notice_and_the_window_lives(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    window = window_running(qtbot, db, Explodes)

    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        assert window.start_run() is not None

    assert finished.args[0].status is RunStatus.FAILED
    qtbot.waitUntil(lambda: window.log_view.error_count > 0)
    assert "boom in on_bar" in window.log_view.toPlainText()
    assert "ZeroDivisionError" in window.notice.text
    assert window.notice.isVisible()
    assert window.run_action.isEnabled()  # ready for the next run
    assert window.isVisible()


class SetupFails(Strategy):
    """Raises in setup(), before any bar."""

    def setup(self) -> None:
        raise KeyError("no such indicator")


def test_a_strategy_whose_setup_raises_fails_its_run_and_the_next_run_starts(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    window = window_running(qtbot, db, SetupFails)
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        assert window.start_run() is not None
    assert finished.args[0].status is RunStatus.FAILED
    qtbot.waitUntil(lambda: "no such indicator" in window.log_view.toPlainText())

    assert window.config_panel.select_strategy("SmaCross")
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        assert window.start_run() is not None
    assert finished.args[0].status is RunStatus.COMPLETED
    window.close()
    assert engine_threads() == []


def test_layout_is_saved_on_close_restored_on_start_and_resettable(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    first = make_window(qtbot, db)
    first.docks["log"].close()
    first.close()
    assert QSettings().value(STATE_KEY) is not None

    second = make_window(qtbot, db)
    assert not second.docks["log"].isVisible()
    second.reset_layout_action.trigger()
    assert second.docks["log"].toggleViewAction().isChecked()
    assert all(not d.isFloating() for d in second.docks.values())
    second.close()


def test_docks_are_added_or_replaced_by_their_stable_name(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel

    window = make_window(qtbot, db)
    log = QLabel("log")
    dock = window.add_dock("log", "Log", log, Qt.DockWidgetArea.LeftDockWidgetArea)
    assert dock.widget() is log and window.docks["log"] is dock
    extra = window.add_dock("replay", "Replay", QLabel("replay"))
    assert extra.toggleViewAction() in window.view_menu.actions()
    window.close()


def test_opening_a_recorded_run_shows_it_in_the_chart_and_details(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    install_demo_data(db)
    window = make_window(qtbot, db)
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        assert window.start_run() is not None
    run_id = finished.args[0].recording.run_id
    window.chart.clear()
    assert window.chart.bar_count() == 0
    with qtbot.waitSignal(window.chart_loader.loaded, timeout=RUN_TIMEOUT_MS):
        window.open_run(run_id)
    assert window.chart.bar_count() == 39_000
    qtbot.waitUntil(lambda: window.run_details.run_id == run_id, timeout=RUN_TIMEOUT_MS)
    live_fills = len(finished.args[0].broker.fills)
    qtbot.waitUntil(
        lambda: window.blotters.fills_model.rowCount() == live_fills, timeout=RUN_TIMEOUT_MS
    )
    window.close()


def test_replay_of_the_last_run_from_the_toolbar(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    install_demo_data(db)
    window = make_window(qtbot, db)
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS):
        assert window.start_run() is not None
    window.replay_action.trigger()
    timeline = window.replay.timeline
    assert timeline is not None and len(timeline) == 7_800
    assert window.replay.cursor == 0
    window.replay.step(100)
    assert window.replay.cursor == 100
    assert window.chart.bar_count(window.chart.current_symbol) == 101
    window.replay.seek(len(timeline) - 1)
    assert window.chart.bar_count() == 39_000
    window.close()


def test_the_gui_thread_shares_the_engine_cpu_only_while_a_run_lasts(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    import os

    from ostdesk.engine.affinity import engine_cpu

    if not hasattr(os, "sched_getaffinity") or os.environ.get("OSTDESK_NO_PIN"):
        pytest.skip("CPU affinity is Linux-only")
    install_demo_data(db)
    window = make_window(qtbot, db)
    before = os.sched_getaffinity(0)
    seen: list[tuple[set[int], int]] = []
    window.controller.runStarted.connect(
        lambda _r: seen.append((os.sched_getaffinity(0), os.sched_getscheduler(0)))
    )
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS):
        assert window.start_run() is not None
    # the engine's CPU, but not its SCHED_BATCH: the GUI's timers must still preempt the engine
    assert seen == [({engine_cpu()}, os.SCHED_OTHER)]
    assert os.sched_getaffinity(0) == before
    window.close()


def test_after_a_run_the_window_folds_the_database_log_while_idle(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    """A demo run leaves ~8 MB of log; left there, the next run's last write would pay
    DuckDB's automatic fold inside that run."""
    install_demo_data(db)
    window = make_window(qtbot, db)
    db.fold_log(db.connection)
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS):
        assert window.start_run() is not None
    qtbot.waitUntil(lambda: not window.run_list.worker.busy, timeout=RUN_TIMEOUT_MS)
    assert db.wal_bytes <= IDLE_FOLD_BYTES
    window.close()


def test_an_import_is_logged_as_its_one_line_summary_not_a_repr(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    from ostdesk.store import import_bars
    from tests.gui.test_config_import import GOOG_CSV

    window = make_window(qtbot, db)
    result = import_bars(db, GOOG_CSV, symbol="GOOG", period="day")
    window.config_panel.dataImported.emit(result)
    last = window.log_view.toPlainText().splitlines()[-1]
    assert last.endswith(result.summary()) and "ImportResult(" not in last
    window.close()
