"""Re-run of a walk-forward's stitched run in the run browser: it is not one backtest (each
window traded its own parameters), so the browser says so and what runs it again, and asks
the window for no re-run; any other run still re-runs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig
from ostdesk.gui.runs import RunBrowser
from ostdesk.research.space import parse_dimension
from ostdesk.research.spec import Objective, StudySpec
from ostdesk.research.walkforward import WindowResult, bar_windows, record_stitched
from ostdesk.store import Database, import_bars, load_bars
from ostdesk.store.backtests import prepare_backtest
from ostdesk.strategies.sma_cross import SmaCross
from tests.cli_data import goog_csv
from tests.gui.browser import browser_on


@pytest.fixture(scope="module")
def runs_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run 1 a stitched run of two windows of GOOG's daily bars, run 2 a plain backtest."""
    path = tmp_path_factory.mktemp("stitched") / "runs.duckdb"
    with Database.open(path) as db:
        import_bars(db, goog_csv(), symbol="GOOG", period="day")
        spec = StudySpec(
            strategy="SmaCross", strategy_source="built-in", symbols=("GOOG",), period="day",
            space=(parse_dimension(SmaCross.params["fast"], "5:10:5"),),
            objectives=(Objective("Return [%]"),),
        )  # fmt: skip
        ts = np.asarray(load_bars(db, "GOOG", BarPeriod.DAY)["ts_event_ns"], dtype=np.int64)
        chosen = [{"fast": 5, "slow": 20}, {"fast": 10, "slow": 30}]
        results = [
            WindowResult(w, 0, 1, params, {}, None, {})
            for w, params in zip(bar_windows(ts[:400], 200, 100), chosen, strict=True)
        ]
        assert record_stitched(db, spec, SmaCross, results, name="walk-forward of study 1") == 1
        plain = BacktestConfig(strategy=SmaCross, symbols=("GOOG",), period=BarPeriod.DAY)
        prepare_backtest(db, plain).run()
    return path


@pytest.fixture
def browser(qtbot: QtBot, runs_template: Path, db_path: Path) -> Iterator[RunBrowser]:
    shutil.copy(runs_template, db_path)
    db = Database.open(db_path)
    widget = browser_on(qtbot, db)
    yield widget
    widget.shutdown()
    db.close()


def test_rerun_of_a_stitched_run_says_it_is_a_walk_forwards_and_asks_for_no_run(
    qtbot: QtBot, browser: RunBrowser
) -> None:
    asked: list[object] = []
    browser.rerunRequested.connect(asked.append)
    browser.select_runs([1])
    browser.actions["rerun"].trigger()
    qtbot.waitUntil(lambda: not browser.banner.isHidden())
    text = browser.banner.text()
    assert text.startswith("Run 1 is the stitched out-of-sample run of a walk-forward")
    assert "(Run > Walk-forward… in the window, ostdesk walkforward STUDY" in text
    assert asked == []


def test_rerun_of_a_plain_run_beside_a_stitched_one_still_asks_for_it(
    qtbot: QtBot, browser: RunBrowser
) -> None:
    browser.select_runs([2])
    with qtbot.waitSignal(browser.rerunRequested) as rerun:
        browser.actions["rerun"].trigger()
    assert rerun.args[0]["run_id"] == 2 and rerun.args[0]["strategy"] == "SmaCross"
    assert browser.banner.isHidden()
