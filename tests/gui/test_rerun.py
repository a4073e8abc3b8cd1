"""Runs → Re-run in the window: the recorded run runs again as a new, named run, and the next
run from the strategy dock is not labelled with that name."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from ostdesk.engine import events as ev
from ostdesk.engine.runner import BacktestConfig, RunStatus
from ostdesk.store import Database, install_demo_data
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.runs import get_run
from ostdesk.strategies.rsi_reversion import RsiReversion
from ostdesk.strategies.sma_cross import SmaCross
from ostdesk.timeparse import parse_when
from tests.gui.test_main_window import RUN_TIMEOUT_MS, make_window

pytestmark = pytest.mark.usefixtures("isolated_settings")


def test_re_run_starts_a_new_named_run_and_leaves_no_name_on_later_runs(
    qtbot: QtBot, db: Database
) -> None:
    symbol = install_demo_data(db)[0]
    week = parse_when("2024-01-12")
    recorded = prepare_backtest(
        db,
        BacktestConfig(
            strategy=SmaCross, symbols=(symbol,), period=ev.BarPeriod.MINUTE,
            params={"fast": 7, "slow": 21}, end_ns=week, name="first try",
        ),
    )  # fmt: skip
    recorded.run()
    run_id = recorded.recording.run_id
    window = make_window(qtbot, db)
    window.config_panel.select_strategy("RsiReversion")
    window.config_panel.set_symbols([symbol])

    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        window._rerun(get_run(db, run_id))
    again = finished.args[0]
    assert again.status is RunStatus.COMPLETED
    assert again.recording.run_id != run_id
    row = get_run(db, again.recording.run_id)
    assert row["name"] == f"first try (re-run of run {run_id})"
    assert (row["strategy"], row["params"]["fast"], row["end_ns"]) == ("SmaCross", 7, week)

    assert window.config_panel.strategy() is RsiReversion  # the dock still shows its own
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        window.config_panel.data.set_date_range(None, week)
        window.start_run()
    later = get_run(db, finished.args[0].recording.run_id)
    assert (later["strategy"], later["name"]) == ("RsiReversion", "")
    window.close()
