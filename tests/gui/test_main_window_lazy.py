"""What the window builds only when first shown, to start fast: the Optimize and Walk-forward
docks' panels (and their imports). Shown, they are built once, in their dock, and work. Run
details' plot is built once the window shows, before any run needs it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from ostdesk.gui.main_window import STATE_KEY, MainWindow
from ostdesk.gui.runs.details import BODY_STRETCH
from ostdesk.store import Database

pytestmark = pytest.mark.usefixtures("isolated_settings")


def shown_window(qtbot: QtBot, db: Database) -> MainWindow:
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_a_start_builds_neither_optimize_nor_walk_forward_until_their_dock_shows(
    qtbot: QtBot, db: Database
) -> None:
    window = shown_window(qtbot, db)
    assert window._optimize is None and window._walkforward is None
    dock = window.docks["optimize"]
    dock.raise_()  # its tab clicked
    qtbot.waitUntil(lambda: window._optimize is not None)
    view = window.optimize
    assert dock.widget() is view and view.isVisible()
    assert window._walkforward is None
    window.walkforward_action.trigger()
    assert window.docks["walkforward"].widget() is window.walkforward
    assert window.optimize is view  # built once
    window.close()


def test_run_details_build_their_plot_after_the_window_shows_not_with_it(
    qtbot: QtBot, db: Database
) -> None:
    window = MainWindow(db)
    qtbot.addWidget(window)
    details = window.run_details
    assert details._plot is None
    window.show()
    qtbot.waitUntil(lambda: details._plot is not None)  # no run asked for it
    assert details.body.widget(1) is details.plot and details.body.count() == 3
    stretch = [details.body.widget(i).sizePolicy().horizontalStretch() for i in range(3)]
    assert stretch == list(BODY_STRETCH)  # the plot still takes its share of a wider dock
    window.close()


def test_a_layout_saved_with_optimize_in_front_builds_it_at_start(
    qtbot: QtBot, db: Database
) -> None:
    first = shown_window(qtbot, db)
    first.show_optimize()
    first.close()
    assert QSettings().value(STATE_KEY) is not None
    second = shown_window(qtbot, db)
    qtbot.waitUntil(lambda: second._optimize is not None)
    assert second.docks["optimize"].widget() is second.optimize
    assert second.optimize.isVisible()
    second.close()
