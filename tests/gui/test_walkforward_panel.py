"""The Walk-forward panel on a tiny stored study (GOOG's daily bars to 2008, two trials a
window): windows run off the main thread and fill the table row by row, the efficiency and
the stitched run come at the end, and a cancel keeps the windows done."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ostdesk.gui.optimize.walkforward import WalkForwardPanel
from ostdesk.gui.runs.worker import RunWorker
from ostdesk.store import Database
from ostdesk.store.runs import get_run
from tests.gui.walkforward_study import store_tiny_study

TIMEOUT_MS = 120_000


@pytest.fixture
def study_db(db: Database) -> Database:
    """GOOG's daily bars and study 1: SmaCross fast 5 or 10, 2004-08 to 2007-12 (849 bars)."""
    store_tiny_study(db)
    return db


@pytest.fixture
def panel(qtbot: QtBot, study_db: Database) -> Iterator[WalkForwardPanel]:
    worker = RunWorker(study_db)
    panel = WalkForwardPanel(study_db, worker)
    qtbot.addWidget(panel)
    panel.refresh()
    qtbot.waitUntil(lambda: panel.study.count() == 1)
    panel.in_sample.setValue(400)
    panel.out_of_sample.setValue(300)
    panel.workers.setValue(1)
    yield panel
    assert panel.shutdown()
    worker.close()


def test_a_walk_forward_fills_a_row_per_window_and_opens_its_stitched_run(
    qtbot: QtBot, panel: WalkForwardPanel, study_db: Database
) -> None:
    assert panel.start_button.isEnabled() and not panel.open_button.isEnabled()
    opened: list[int] = []
    panel.openRunRequested.connect(opened.append)
    with qtbot.waitSignal(panel.walker.finished, timeout=TIMEOUT_MS) as done:
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
        assert not panel.start_button.isEnabled() and panel.cancel_button.isEnabled()
    result = done.args[0]
    assert not result.cancelled and len(result.windows) == 2  # 400 + 300 + 149 bars
    assert panel.table.rowCount() == 2
    header = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    assert header[3:6] == ["Best parameters", "IS Sharpe Ratio", "OOS Sharpe Ratio"]
    for r in result.windows:
        cells = [panel.table.item(r.window.index, c).text() for c in range(len(header))]
        assert cells[3] == f"fast={r.best_params['fast']}"
        assert cells[-1] == str(r.oos_run_id)
    text = panel.efficiency.text()  # the ratio and both means it divides
    assert text.startswith(f"Walk-forward efficiency: {result.efficiency:,.3f} (")
    assert f"out of sample {100 * result.oos_mean:+.2f}%" in text
    assert f"in sample {100 * result.is_mean:+.2f}%" in text
    assert panel.progress.value() == 2 and panel.start_button.isEnabled()
    qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
    assert opened == [result.stitched_run_id]
    stitched = get_run(study_db, result.stitched_run_id)
    assert stitched["status"] == "completed" and stitched["name"] == "walk-forward of study 1"


def test_a_cancelled_walk_forward_keeps_its_windows_and_stitches_nothing(
    qtbot: QtBot, panel: WalkForwardPanel
) -> None:
    panel.in_sample.setValue(100)
    panel.out_of_sample.setValue(100)  # eight windows: cancelled long before the last
    panel.walker.windowsReady.connect(lambda _rows: panel.cancel_button.click())
    with qtbot.waitSignal(panel.walker.finished, timeout=TIMEOUT_MS) as done:
        panel.start()
    result = done.args[0]
    assert result.cancelled and result.stitched_run_id is None
    assert 1 <= len(result.windows) < 8
    assert panel.progress_label.text().startswith("cancelled after")
    assert not panel.open_button.isEnabled() and panel.start_button.isEnabled()


def test_windows_too_short_for_annualised_figures_are_marked_and_the_notes_say_why(
    qtbot: QtBot, panel: WalkForwardPanel
) -> None:
    panel.in_sample.setValue(800)
    panel.out_of_sample.setValue(15)  # 15 daily bars out of sample: under 20 trading days
    with qtbot.waitSignal(panel.walker.finished, timeout=TIMEOUT_MS) as done:
        panel.start()
    result = done.args[0]
    assert len(result.windows) == 4 and all(r.too_short for r in result.windows)
    for r in result.windows:
        oos = panel.table.item(r.window.index, 5)
        assert oos.text().endswith(" (short)")
        assert oos.toolTip().startswith(f"{r.is_days} in sample, {r.oos_days} out of sample.")
        assert ".000000001" not in panel.table.item(r.window.index, 2).text()
    notes = panel.notes.text()
    assert "Windows marked (short) have fewer than 20 trading days" in notes
    assert "not the sum of the windows' out-of-sample returns" in notes
