"""The Walk-forward panel in the main window: Run > Walk-forward… brings it up with the stored
studies listed, and its stitched run opens like any run (details, notes with the parameters
per window, the run list)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ostdesk.gui.main_window import MainWindow
from ostdesk.store import Database
from ostdesk.store.runs import get_run
from tests.gui.walkforward_study import store_tiny_study

TIMEOUT_MS = 120_000
pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture
def window(qtbot: QtBot, db: Database) -> MainWindow:
    """The window over GOOG's daily bars and study 1 (SmaCross fast 5 or 10, to 2008)."""
    store_tiny_study(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.config_panel.data.summary is not None)
    return window


def test_run_walk_forward_lists_the_studies_and_its_stitched_run_opens(
    qtbot: QtBot, window: MainWindow, db: Database
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
    notes = get_run(db, run_id)["notes"].splitlines()[:2]  # then why it is not the windows'
    assert [line.split(",")[0] for line in notes] == ["window 1", "window 2"]
    assert all("fast=" in line for line in notes)
    model = window.run_list.model
    qtbot.waitUntil(lambda: run_id in {model.run_id_at(r) for r in range(model.rowCount())})
    window.close()
