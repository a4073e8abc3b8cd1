"""The run recorder: every event in typed tables, statistics at the end, delete, failures."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ostdesk import Strategy
from ostdesk.engine.commission import CommissionModel
from ostdesk.engine.events import BarPeriod, BarReceived
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.store import Database, has_market_data, import_bars, install_demo_data
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.database import CHECKPOINT_THRESHOLD_BYTES
from ostdesk.store.run_results import FOLD_MARGIN_BYTES
from ostdesk.store.run_schema import EVENT_TABLES
from ostdesk.store.runs import (
    delete_run,
    get_run,
    list_runs,
    run_bars,
    run_equity,
    run_fills,
    run_indicators,
    update_run,
)
from ostdesk.strategies.rsi_reversion import RsiReversion
from ostdesk.strategies.sma_cross import SmaCross


def _run(db: Database, config: BacktestConfig) -> BacktestRun:
    run = prepare_backtest(db, config)
    run.run()
    return run


@pytest.fixture
def goog_db(db: Database, goog_csv: Path) -> Database:
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    return db


def test_every_event_of_a_run_is_recorded_in_typed_tables(db: Database) -> None:
    symbols = install_demo_data(db)[:2]
    config = BacktestConfig(
        strategy=RsiReversion,
        symbols=tuple(symbols),
        period=BarPeriod.MINUTE,
        commission=CommissionModel(per_unit=0.01),
    )
    run = _run(db, config)
    assert run.status is RunStatus.COMPLETED
    run_id = run.recording.run_id
    con = db.connection
    counts = dict(
        con.execute(
            "SELECT 'bars', count(*) FROM run_bars WHERE run_id = $r UNION ALL "
            "SELECT 'orders', count(*) FROM run_orders WHERE run_id = $r UNION ALL "
            "SELECT 'changes', count(*) FROM run_order_changes WHERE run_id = $r UNION ALL "
            "SELECT 'responses', count(*) FROM run_responses WHERE run_id = $r UNION ALL "
            "SELECT 'fills', count(*) FROM run_fills WHERE run_id = $r UNION ALL "
            "SELECT 'indicators', count(*) FROM run_indicators WHERE run_id = $r",
            {"r": run_id},
        ).fetchall()
    )
    assert counts["bars"] == run.bars_processed == get_run(db, run_id)["bars"]
    assert run.broker is not None
    assert counts["fills"] == len(run.broker.fills) > 10
    assert counts["orders"] > counts["fills"]  # limit entries that were cancelled
    assert counts["changes"] > 0  # the cancellations
    assert counts["responses"] >= counts["orders"]
    assert counts["indicators"] == counts["bars"]  # RSI: one line per bar
    fills = run_fills(db, run_id)
    ours = [(f.ts_event_ns, f.symbol, f.price, f.commission) for f in run.broker.fills]
    assert (
        list(
            zip(
                fills["ts"].tolist(),
                fills["symbol"].tolist(),
                fills["price"].tolist(),
                fills["commission"].tolist(),
                strict=True,
            )
        )
        == ours
    )
    rsi = run_indicators(db, run_id, symbols[0])["RSI(14)"]
    assert math.isnan(rsi["value"][0]) and not math.isnan(rsi["value"][-1])


def test_equity_curve_and_bars_load_as_numpy(goog_db: Database) -> None:
    config = BacktestConfig(strategy=SmaCross, symbols=("GOOG",), period=BarPeriod.DAY)
    run = _run(goog_db, config)
    run_id = run.recording.run_id
    bars = run_bars(goog_db, run_id, "GOOG")
    equity = run_equity(goog_db, run_id)
    assert len(bars["ts"]) == len(equity["ts"]) == 2148
    assert (np.diff(bars["ts"]) > 0).all()
    assert run.host is not None
    assert equity["equity"][-1] == pytest.approx(run.host.portfolio.equity, rel=1e-12)
    assert (equity["drawdown_pct"] >= 0).all()


def test_listing_renaming_and_deleting_runs(goog_db: Database) -> None:
    config = BacktestConfig(strategy=SmaCross, symbols=("GOOG",), period=BarPeriod.DAY)
    first = _run(goog_db, config).recording.run_id
    second = _run(goog_db, config).recording.run_id
    update_run(goog_db, first, name="baseline", notes="10/30 on GOOG", tags=["sma", "daily"])
    runs = list_runs(goog_db)
    assert runs["run_id"].tolist() == [second, first]
    assert runs["name"].tolist() == ["", "baseline"]
    assert runs["status"].tolist() == ["completed", "completed"]
    assert runs["trades"].tolist() == [32, 32]
    delete_run(goog_db, first)
    con = goog_db.connection
    for table in ("runs", *EVENT_TABLES):
        left = con.execute(f"SELECT count(*) FROM {table} WHERE run_id = ?", [first]).fetchone()
        assert left == (0,), table
    assert con.execute("SELECT count(*) FROM run_bars WHERE run_id = ?", [second]).fetchone() == (
        2148,
    )


class FailsMidway(Strategy):
    def on_bar(self, bar: BarReceived) -> None:
        if len(self.close) == 30:
            self.buy(1)
        if len(self.close) == 500:
            raise RuntimeError("strategy bug at bar 500")


def test_a_failing_strategy_ends_failed_with_traceback_and_keeps_what_was_recorded(
    goog_db: Database,
) -> None:
    config = BacktestConfig(strategy=FailsMidway, symbols=("GOOG",), period=BarPeriod.DAY)
    run = _run(goog_db, config)
    assert run.status is RunStatus.FAILED
    info = get_run(goog_db, run.recording.run_id)
    assert info["status"] == "failed"
    assert "RuntimeError: strategy bug at bar 500" in info["error"]
    assert "on_bar" in info["error"]
    assert 500 <= info["bars"] < 2148
    assert len(run_fills(goog_db, run.recording.run_id)["ts"]) == 1


def test_cancelled_run_is_recorded_as_cancelled(db: Database) -> None:
    install_demo_data(db)
    config = BacktestConfig(strategy=SmaCross, symbols=("DEMO-ALPHA",), period=BarPeriod.MINUTE)
    run = prepare_backtest(db, config)
    run.start()
    run.cancel()
    assert run.wait(timeout=10)
    assert get_run(db, run.recording.run_id)["status"] == "cancelled"


def test_indicator_layout_is_stored_with_the_run(goog_db: Database) -> None:
    config = BacktestConfig(strategy=SmaCross, symbols=("GOOG",), period=BarPeriod.DAY)
    run = _run(goog_db, config)
    assert get_run(goog_db, run.recording.run_id)["indicators"] == [
        ("SMA(10)", "price", "SMA(10)"),
        ("SMA(30)", "price", "SMA(30)"),
    ]


def test_a_run_end_folds_a_log_that_a_small_write_could_push_over_the_threshold(
    db: Database,
) -> None:
    """DuckDB folds its log at the first commit past its threshold, on whichever thread
    commits. The run's end folds it on the runner thread when a small write could push it
    over, so the next write on the GUI thread never pays for that; a smaller log waits for a
    later commit (the next run's recorder, beside the engine)."""
    install_demo_data(db)
    config = BacktestConfig(strategy=SmaCross, symbols=("DEMO-ALPHA",), period=BarPeriod.MINUTE)
    assert has_market_data(db)  # a query on the main connection, as the GUI makes
    db.connection.execute("CHECKPOINT")
    _run(db, config)
    small = db.wal_bytes
    assert 0 < small <= CHECKPOINT_THRESHOLD_BYTES - FOLD_MARGIN_BYTES, "left for later"

    db.connection.execute("CREATE TABLE filler (v DOUBLE)")
    # commits smaller than a row group go through the log
    while db.wal_bytes <= CHECKPOINT_THRESHOLD_BYTES - FOLD_MARGIN_BYTES:
        db.connection.execute("INSERT INTO filler SELECT random() FROM range(100000)")
    _run(db, config)
    assert db.wal_bytes == 0
