"""A run's record says which executor ran it; runs recorded before it was stored read as
'threaded', the only executor there was; the CLI's --fast runs the synchronous one and says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ostdesk.cli import main
from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import EXECUTORS, BacktestConfig
from ostdesk.store import Database, install_demo_data, schema
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.run_schema import RUN_EXECUTOR
from ostdesk.store.runs import get_run
from ostdesk.strategies.sma_cross import SmaCross


def test_each_recorded_run_stores_the_executor_that_ran_it(db: Database) -> None:
    symbols = tuple(install_demo_data(db)[:1])
    for executor in EXECUTORS:
        config = BacktestConfig(
            strategy=SmaCross, symbols=symbols, period=BarPeriod.MINUTE, executor=executor
        )
        run = prepare_backtest(db, config)
        run.run()
        assert get_run(db, run.recording.run_id)["executor"] == executor


def test_runs_recorded_before_the_executor_column_read_as_threaded(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = schema.MIGRATIONS.index(RUN_EXECUTOR)
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:before])
    with Database.open(db_path) as db:  # a file as the ostdesk before the column wrote it
        db.connection.execute(
            "INSERT INTO runs (strategy, params, symbols, period, capital, commission,"
            " slippage_ticks, app_version, data_fingerprint, status, started_at)"
            " VALUES ('SmaCross', '{}', ['X'], 'minute', 1e5, 'none', 0, '0.1', '',"
            " 'completed', now())"
        )
    monkeypatch.undo()
    with Database.open(db_path) as db:
        (run_id,) = db.connection.execute("SELECT run_id FROM runs").fetchone() or (None,)
        assert get_run(db, run_id)["executor"] == "threaded"


def test_backtest_fast_runs_the_synchronous_executor_and_says_so(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Database.open(db_path) as db:
        symbol = install_demo_data(db)[0]
    db_args = ["--db", str(db_path)]
    backtest = ["backtest", "--strategy", "SmaCross", "--symbol", symbol, *db_args]
    assert main([*backtest, "--fast", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["executor"] == "sync"
    assert main(backtest) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "executor threaded" in [" ".join(line.split()) for line in lines]
    assert main(["show", "1", "--json", *db_args]) == 0
    assert json.loads(capsys.readouterr().out)["executor"] == "sync"
