"""The Optimize view's Robustness tab after a study run from the view: the same summary
(PBO included, from the trials' returns) as the stored study's, computed off the main
thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from ostdesk.gui.config import ConfigDock
from ostdesk.gui.optimize import OptimizeView
from ostdesk.research.robustness import study_robustness
from ostdesk.store import Database, import_bars
from tests.cli_data import goog_csv

STUDY_TIMEOUT_MS = 90_000
pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture
def view(qtbot: QtBot, db: Database) -> Iterator[OptimizeView]:
    """The view beside a strategy dock set to SmaCross on GOOG's daily bars (PBO needs 32
    periods at least: the demo data's minutes make 19 days), two workers."""
    import_bars(db, goog_csv(), symbol="GOOG", period="day")
    config = ConfigDock(db)
    qtbot.addWidget(config)
    qtbot.waitUntil(lambda: config.data.summary is not None)
    config.select_strategy("SmaCross")
    config.set_symbols(["GOOG"])
    view = OptimizeView(db, config)
    qtbot.addWidget(view)
    view.form.workers.setValue(2)
    yield view
    assert view.shutdown()
    config.data.loader.wait()


def test_the_robustness_tab_shows_the_stored_studys_summary_pbo_included(
    qtbot: QtBot, view: OptimizeView, db: Database
) -> None:
    for name, low, high, step in (("fast", "5", "10", "5"), ("slow", "30", "60", "30")):
        row = view.form.ranges.rows[name]
        row.vary.setChecked(True)
        row.low.setText(low)
        row.high.setText(high)
        row.step.setText(step)
    with qtbot.waitSignal(view.studyFinished, timeout=STUDY_TIMEOUT_MS) as done:
        assert view.start()
    stored = study_robustness(db, done.args[0].study_id)
    assert stored.overfitting is not None
    with qtbot.waitSignal(view.robustness.shown):
        view.tabs.setCurrentWidget(view.robustness)
    qtbot.waitUntil(lambda: not view.robustness.busy)
    shown = view.robustness.summary
    assert shown is not None and shown.overfitting is not None
    assert shown.overfitting.pbo == stored.overfitting.pbo
    assert shown.best_trial == stored.best_trial
    pbo_row = view.robustness.table.item(2, 1).text()
    assert pbo_row == f"{stored.overfitting.pbo:.2f}"
