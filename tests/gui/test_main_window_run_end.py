"""A run's end in the window: Run details come to the front once they show the finished
run, never showing (and painting) the previous run in between."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from ostdesk.gui.main_window import MainWindow
from ostdesk.store import Database, install_demo_data
from tests.gui.test_main_window import RUN_TIMEOUT_MS, make_window

pytestmark = pytest.mark.usefixtures("isolated_settings")


def details_in_front(window: MainWindow) -> bool:
    return not window.docks["details"].visibleRegion().isEmpty()


def test_run_details_come_to_the_front_with_the_finished_runs_statistics(
    qtbot: QtBot, db: Database
) -> None:
    install_demo_data(db)
    window: MainWindow = make_window(qtbot, db)
    first = window.start_run()
    assert first is not None
    qtbot.waitUntil(lambda: details_in_front(window), timeout=RUN_TIMEOUT_MS)
    assert window.run_details.run_id == first.recording.run_id
    shown_in_front: list[int | None] = []  # the run they show each time they come forward
    window.docks["details"].visibilityChanged.connect(
        lambda visible: visible and shown_in_front.append(window.run_details.run_id)
    )
    second = window.start_run()
    assert second is not None and not details_in_front(window)  # the blotters, for the run
    qtbot.waitUntil(lambda: details_in_front(window), timeout=RUN_TIMEOUT_MS)
    assert shown_in_front == [second.recording.run_id]
    window.close()
