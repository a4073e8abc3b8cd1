"""The Walk-forward panel in the main window: Run > Walk-forward… brings it up with the stored
studies listed, and its stitched run opens like any run (details, notes with the parameters
per window, the run list)."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ostdesk.gui.main_window import MainWindow
from ostdesk.research.space import parse_dimension
from ostdesk.research.spec import Objective, StudySpec
from ostdesk.research.study import StudyRunner
from ostdesk.store import Database, import_bars
from ostdesk.strategies.sma_cross import SmaCross
from tests.cli_data import goog_csv

TIMEOUT_MS = 120_000
END_2008_NS = int(dt.datetime(2008, 1, 1, tzinfo=dt.UTC).timestamp()) * 10**9
pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture
def window(qtbot: QtBot, db: Database) -> MainWindow:
    """The window over GOOG's daily bars and study 1 (SmaCross fast 5 or 10, to 2008)."""
    import_bars(db, goog_csv(), symbol="GOOG", period="day")
    spec = StudySpec(
        strategy="SmaCross", strategy_source="built-in", symbols=("GOOG",), period="day",
        space=(parse_dimension(SmaCross.params["fast"], "5:10:5"),),
        objectives=(Objective("Sharpe Ratio"),), end_ns=END_2008_NS,
    )  # fmt: skip
    StudyRunner(db, spec, workers=1).run()
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.config_panel.data.summary is not None)
    return window


def test_run_walk_forward_lists_the_studies_and_its_stitched_run_opens(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.walkforward_action.trigger()
    dock, panel = window.docks["walkforward"], window.walkforward
    assert dock.isVisible() and not dock.visibleRegion().isEmpty()
    qtbot.waitUntil(lambda: panel.study.count() == 1)
    panel.in_sample.setValue(400)
    panel.out_of_sample.setValue(300)
    panel.workers.setValue(1)
    with qtbot.waitSignal(panel.walker.finished, timeout=TIMEOUT_MS) as done:
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    run_id = done.args[0].stitched_run_id
    assert run_id is not None
    with qtbot.waitSignal(window.run_details.loaded, timeout=TIMEOUT_MS) as loaded:
        qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
    assert loaded.args == [run_id]
    model = window.run_list.model
    qtbot.waitUntil(lambda: run_id in {model.run_id_at(r) for r in range(model.rowCount())})
    window.close()
