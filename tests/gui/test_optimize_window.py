"""The Optimize view in the main window: Run > Optimize… brings it up, and a double-clicked
trial is recorded as a run with the trial's statistics and opened like any run."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ostdesk.engine.runner import RunStatus
from ostdesk.gui.main_window import MainWindow
from ostdesk.store import DEMO_SYMBOLS, Database, install_demo_data
from ostdesk.store.runs import get_run, run_stats
from ostdesk.store.stats import stats_to_record

TIMEOUT_MS = 90_000
pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture
def window(qtbot: QtBot, db: Database) -> MainWindow:
    install_demo_data(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.config_panel.data.summary is not None)
    window.config_panel.select_strategy("SmaCross")
    window.config_panel.set_symbols([DEMO_SYMBOLS[0]])
    return window


def test_run_optimize_brings_the_view_to_the_front(window: MainWindow) -> None:
    window.optimize_action.trigger()
    dock = window.docks["optimize"]
    assert dock.isVisible() and not dock.visibleRegion().isEmpty()
    assert window.optimize.source_label.text().count(DEMO_SYMBOLS[0]) == 1
    window.close()


def test_double_clicking_a_trial_records_it_as_a_run_that_opens(
    qtbot: QtBot, window: MainWindow, db: Database
) -> None:
    view = window.optimize
    view.form.workers.setValue(2)
    for name, (low, high, step) in {"fast": ("5", "10", "5"), "slow": ("30", "40", "10")}.items():
        row = view.form.ranges.rows[name]
        row.vary.setChecked(True)
        row.low.setText(low)
        row.high.setText(high)
        row.step.setText(step)
    with qtbot.waitSignal(view.studyFinished, timeout=TIMEOUT_MS) as done:
        assert view.start()
    study_id = done.args[0].study_id
    best = view.model.best
    assert best is not None
    row = view.proxy.mapFromSource(view.model.index(view.model.row_of(best.number), 0)).row()
    view.tabs.setCurrentIndex(0)
    window.show_optimize()
    qtbot.waitUntil(lambda: not view.table.visibleRegion().isEmpty())
    view.table.scrollTo(view.proxy.index(row, 1))
    rect = view.table.visualRect(view.proxy.index(row, 1))
    with qtbot.waitSignal(window.controller.runFinished, timeout=TIMEOUT_MS) as finished:
        # a real double-click is a click followed by a double-click event on the same cell
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    run = finished.args[0]
    assert run.status is RunStatus.COMPLETED
    run_id = run.recording.run_id
    assert get_run(db, run_id)["name"] == f"study {study_id} trial {best.number}"
    assert dict(run.config.params) == {**run.config.params, **best.params}
    recorded = stats_to_record(run_stats(db, run_id))
    assert recorded["Sharpe Ratio"] == best.stats["Sharpe Ratio"]
    assert recorded["# Trades"] == best.stats["# Trades"]
    qtbot.waitUntil(lambda: window.run_details.run_id == run_id, timeout=TIMEOUT_MS)
    assert window.central.stack.currentWidget() is window.chart
    assert window.chart.bar_count() > 0
    window.close()
