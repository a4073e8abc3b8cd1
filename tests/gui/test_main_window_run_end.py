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
    qtbot.waitUntil(
        lambda: window.run_details.run_id == first.recording.run_id, timeout=RUN_TIMEOUT_MS
    )
    seen: list[tuple[bool, int | None]] = []  # in front?, the run they show, at each step
    window.controller.runFinished.connect(
        lambda _run: seen.append((details_in_front(window), window.run_details.run_id))
    )
    window.run_details.loaded.connect(
        lambda _id: seen.append((details_in_front(window), window.run_details.run_id))
    )
    second = window.start_run()
    assert second is not None and not details_in_front(window)  # the blotters, for the run
    second_id = second.recording.run_id
    qtbot.waitUntil(lambda: window.run_details.run_id == second_id, timeout=RUN_TIMEOUT_MS)
    assert seen == [(False, first.recording.run_id), (True, second_id)]
    window.close()
