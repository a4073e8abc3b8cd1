"""The Walk-forward panel lists the stored studies when it comes into view (it was empty on a
first visit until Refresh), and its Workers box is not a bar across the dock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from ostdesk.gui.optimize.walkforward import WalkForwardPanel
from ostdesk.gui.runs.worker import RunWorker
from ostdesk.store import Database
from ostdesk.store.studies import create_study, get_study
from tests.gui.walkforward_study import store_tiny_study


@pytest.fixture
def panel(qtbot: QtBot, db: Database) -> Iterator[WalkForwardPanel]:
    worker = RunWorker(db)
    panel = WalkForwardPanel(db, worker)
    qtbot.addWidget(panel)
    yield panel
    assert panel.shutdown()
    worker.close()


def test_the_study_list_fills_when_the_panel_is_shown_without_refresh(
    qtbot: QtBot, panel: WalkForwardPanel, db: Database
) -> None:
    first = store_tiny_study(db)  # stored before the panel is first seen
    assert panel.study.count() == 0
    panel.resize(900, 400)
    panel.show()
    qtbot.waitUntil(lambda: panel.study.count() == 1)
    assert panel.study.currentData() == first
    panel.hide()
    row = get_study(db, first)
    second = create_study(  # one stored while the panel was hidden
        db,
        name="later",
        strategy=row["strategy"],
        method=row["method"],
        objectives=row["objectives"],
        spec=row["spec"],
        fingerprint=row["data_fingerprint"],
        backend="local",
        workers=1,
        planned=2,
    )
    panel.show()
    qtbot.waitUntil(lambda: panel.study.count() == 2)
    assert panel.study.findData(second) >= 0
    assert panel.study.currentData() == first  # the choice kept


def test_the_workers_box_is_not_a_bar_across_the_panel(
    qtbot: QtBot, panel: WalkForwardPanel
) -> None:
    panel.resize(1200, 400)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.workers.width() < panel.width() // 4
