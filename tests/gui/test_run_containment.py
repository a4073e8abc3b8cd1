"""The window stays in charge of a strategy that never returns: Stop ends its run
``cancelled`` within 2 s, and closing the window during it never leaves the run ``running``,
not even when the strategy is blocked in a C call the interrupt cannot reach."""

from __future__ import annotations

import threading
import time

import pytest

from ostdesk import Strategy
from ostdesk.engine.runner import RunStatus
from ostdesk.engine.strategy_loader import StrategyCatalog, load_strategies
from ostdesk.gui.main_window import MainWindow
from ostdesk.store import DEMO_SYMBOLS, Database, install_demo_data
from ostdesk.store.runs import get_run
from tests.gui.test_main_window import RUN_TIMEOUT_MS

STOP_BUDGET_S = 2.0
pytestmark = pytest.mark.usefixtures("isolated_settings")


class Stuck(Strategy):
    """Never returns from its fifth bar."""

    entered = threading.Event()

    def on_bar(self, bar) -> None:  # type: ignore[no-untyped-def]
        if len(self.close) >= 5:
            self.entered.set()
            while True:
                pass


class Sleeps(Strategy):
    """Blocked in one C call (``time.sleep``) from its fifth bar: an interrupt waits for it."""

    entered = threading.Event()

    def on_bar(self, bar) -> None:  # type: ignore[no-untyped-def]
        if len(self.close) >= 5:
            self.entered.set()
            time.sleep(1.5)


def started(qtbot, db: Database, strategy: type[Sleeps] | type[Stuck]) -> MainWindow:  # type: ignore[no-untyped-def]
    """A window over the demo data running ``strategy``, once it is stuck."""
    install_demo_data(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.config_panel.picker.combo.count() > 0)
    qtbot.waitUntil(lambda: window.config_panel.data.summary is not None)
    window.config_panel.set_symbols(list(DEMO_SYMBOLS))
    catalog = load_strategies()
    name = strategy.__name__
    window.config_panel.set_catalog(
        StrategyCatalog({**catalog.strategies, name: strategy}, {**catalog.sources, name: "test"})
    )
    assert window.config_panel.select_strategy(name)
    strategy.entered.clear()
    assert window.start_run() is not None
    qtbot.waitUntil(strategy.entered.is_set, timeout=RUN_TIMEOUT_MS)
    return window


@pytest.fixture
def stuck_window(qtbot, db: Database) -> MainWindow:  # type: ignore[no-untyped-def]
    return started(qtbot, db, Stuck)


def _engine_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("ostdesk-")]


def test_stop_ends_a_run_stuck_in_on_bar_as_cancelled_within_2_s(qtbot, stuck_window, db) -> None:  # type: ignore[no-untyped-def]
    window = stuck_window
    stopped_at = time.monotonic()
    with qtbot.waitSignal(
        window.controller.runFinished, timeout=int(STOP_BUDGET_S * 1000)
    ) as finished:
        window.stop_action.trigger()
    assert time.monotonic() - stopped_at < STOP_BUDGET_S
    run = finished.args[0]
    assert run.status is RunStatus.CANCELLED and run.error is None
    assert get_run(db, run.recording.run_id)["status"] == "cancelled"
    assert window.run_action.isEnabled()  # ready for the next run
    window.close()
    assert _engine_threads() == []


def test_closing_the_window_mid_stuck_run_records_it_cancelled(qtbot, stuck_window, db) -> None:  # type: ignore[no-untyped-def]
    window = stuck_window
    run = window.controller._run
    assert run is not None
    closed_at = time.monotonic()
    window.close()
    assert time.monotonic() - closed_at < STOP_BUDGET_S + 1.0
    assert run.done and run.status is RunStatus.CANCELLED
    assert get_run(db, run.recording.run_id)["status"] == "cancelled"
    assert _engine_threads() == []


def test_a_run_that_outlasts_the_close_budget_is_recorded_interrupted(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    window = started(qtbot, db, Sleeps)
    run = window.controller._run
    assert run is not None

    assert not window.controller.shutdown(timeout=0.3)  # time.sleep has not returned yet

    assert get_run(db, run.recording.run_id)["status"] == "interrupted"
    assert run.wait(5.0), "the interrupt lands once the C call returns"
    assert run.status is RunStatus.CANCELLED
    window.close()
    assert _engine_threads() == []
