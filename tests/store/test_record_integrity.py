"""A run is ``completed`` only if everything it published is stored; otherwise it ends
``failed`` with one sentence saying where the record stops, and has no statistics."""

from __future__ import annotations

import math
import threading

from ostdesk import Strategy
from ostdesk.engine.bar_chunk import BLOCK_BARS
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import BarPeriod, BarReceived, FillEvent, Side
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.engine.subscriber import Subscriber
from ostdesk.store import Database, install_demo_data
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.record_check import RecordTally, stored_rows
from ostdesk.store.run_schema import RECORDED_TABLES
from ostdesk.store.runs import get_run, run_stats
from ostdesk.strategies.sma_cross import SmaCross


class _BadFill(Subscriber):
    """A component that publishes a fill no table can hold (its price is NaN), what a broker
    bug would do, once the recorder has written bars (``armed``), and holds the run at that
    bar until the recorder has reported the failed write: the failure then comes mid-run
    however fast the engine is (waits on conditions, each with a generous safety bound)."""

    def __init__(self, bus: EventBus, armed: threading.Event) -> None:
        self.armed = armed
        self.done = False
        self.seen = 0
        self.reported = threading.Event()
        bus.errors.add_listener(lambda error: error.component == "recorder" and self.reported.set())
        self._handlers = {BarReceived: self._on_bar}
        super().__init__(bus, name="bad-fill")
        self._subscribe(BarReceived)

    def _on_bar(self, bar: BarReceived) -> None:
        self.seen += 1
        # a timestamp after the first BarBlock went out: the recorder writes bars, then arms
        if self.seen == BLOCK_BARS + 10 and self.armed.wait(30):
            self.done = True
            self._publish(
                FillEvent(
                    ts_event_ns=bar.ts_event_ns,
                    fill_id=10**9,
                    order_id=10**9,
                    strategy_id="nobody",
                    symbol=bar.symbol,
                    side=Side.BUY,
                    quantity=1.0,
                    price=math.nan,
                    commission=0.0,
                )
            )
            self.reported.wait(30)


def _config(symbols: list[str]) -> BacktestConfig:
    return BacktestConfig(strategy=SmaCross, symbols=tuple(symbols), period=BarPeriod.MINUTE)


def _run_with_bad_fill(
    db: Database, symbols: list[str], bars_at_failure: list[int] | None = None
) -> BacktestRun:
    """A run (all demo symbols: 39,000 bars) whose second or later write fails: the bad fill
    follows the first flush with bars, ~4,100 bars into the run. ``bars_at_failure`` gets the
    bars processed when the recorder reported its failure (after the run itself heard of it)."""
    armed = threading.Event()
    run = prepare_backtest(
        db,
        _config(symbols),
        subscribers=[lambda bus: _BadFill(bus, armed)],
        on_flush=lambda ts: ts >= 0 and armed.set(),
        record_interval=0.005,
    )
    run.start(hold=True)
    if bars_at_failure is not None:  # a listener added after the run's own
        run.bus.errors.add_listener(
            lambda error: (
                error.component == "recorder" and bars_at_failure.append(run.bars_processed)
            )
        )
    run.release()
    run.wait()
    return run


def test_a_write_that_fails_mid_run_ends_the_run_failed_with_one_sentence_and_no_statistics(
    db: Database,
) -> None:
    symbols = install_demo_data(db)
    run = _run_with_bad_fill(db, symbols)
    assert run.status is RunStatus.FAILED
    assert run.error is not None and run.error.component == "recorder"
    info = get_run(db, run.recording.run_id)
    assert info["status"] == "failed"
    assert info["error"].startswith("the recording stopped after ")
    assert "run_fills" in info["error"] and "NOT NULL" in info["error"]
    assert "\n" not in info["error"] and "Traceback" not in info["error"]
    assert run_stats(db, run.recording.run_id) == {}  # never statistics over a gap
    assert info["return_pct"] is None


def test_a_failed_write_stops_the_recording_and_cancels_the_engine_promptly(
    db: Database,
) -> None:
    symbols = install_demo_data(db)
    bars_at_failure: list[int] = []
    run = _run_with_bad_fill(db, symbols, bars_at_failure)
    assert run.status is RunStatus.FAILED
    recorder = run.recording.recorder
    # the engine stopped within the timestamp it was in when the failure was reported (plus
    # the one its progress count lags by), however fast it runs, before the end of the data,
    # and nothing was written after the failed batch
    assert len(bars_at_failure) == 1
    assert run.bars_processed - bars_at_failure[0] <= 2 * len(symbols)
    assert run.bars_processed < run._total
    stored = stored_rows(db.connection, run.recording.run_id)
    assert stored == recorder.tally.written
    assert recorder.tally.handed["run_fills"] > recorder.tally.written["run_fills"]


def test_a_whole_record_is_completed_and_its_counts_match_what_was_published(
    db: Database,
) -> None:
    symbols = install_demo_data(db)
    run = prepare_backtest(db, _config(symbols))
    run.run()
    assert run.status is RunStatus.COMPLETED
    tally = run.recording.recorder.tally
    assert tally.failure is None
    assert tally.handed == tally.written == stored_rows(db.connection, run.recording.run_id)
    assert tally.handed["run_bars"] == run.bars_processed > 0
    assert tally.handed["run_fills"] > 0


def test_rows_missing_from_the_database_at_the_end_make_the_run_failed(
    db: Database,
) -> None:
    """Whatever removes rows behind the recorder's back, the end-of-run check finds it."""
    symbols = install_demo_data(db)
    deleted = []

    def on_flush(last_ts: int) -> None:  # on the recorder's thread, after a commit
        if not deleted:
            cur = db.cursor()
            try:
                cur.execute("DELETE FROM run_bars WHERE run_id = (SELECT max(run_id) FROM runs)")
                deleted.append(last_ts)
            finally:
                db.release(cur)

    run = prepare_backtest(db, _config(symbols), on_flush=on_flush)
    run.run()
    assert deleted
    assert run.status is RunStatus.FAILED
    info = get_run(db, run.recording.run_id)
    assert info["status"] == "failed"
    assert info["error"].startswith("the record is incomplete: run_bars should hold")
    assert run_stats(db, run.recording.run_id) == {}


def test_a_recorded_run_closes_its_database_cursor(db: Database) -> None:
    """A cursor per run that stayed in the database's list grew a long GUI session forever."""
    symbols = install_demo_data(db)
    for _ in range(3):
        prepare_backtest(db, _config(symbols)).run()
    assert db._cursors == []


def test_the_tally_names_the_first_table_that_disagrees() -> None:
    tally = RecordTally()
    for table in RECORDED_TABLES:
        tally.handed[table] = tally.written[table] = 5
    stored = dict(tally.written)
    assert tally.gap(stored, 5) is None
    stored["run_fills"] = 4
    assert tally.gap(stored, 5) == (
        "the record is incomplete: run_fills should hold 5 rows, 5 were written and 4 are stored"
    )
    assert "published 6 bars but the recorder received 5" in (tally.gap(dict(tally.written), 6))


class _Quiet(Strategy):
    def on_bar(self, bar: BarReceived) -> None:
        pass


def test_a_cancelled_run_with_a_whole_record_keeps_its_statistics(db: Database) -> None:
    symbols = install_demo_data(db)
    config = BacktestConfig(strategy=_Quiet, symbols=(symbols[0],), period=BarPeriod.MINUTE)
    run: BacktestRun = prepare_backtest(
        db, config, on_flush=lambda ts: run.cancel(), subscribers=()
    )
    run.run()
    assert run.status is RunStatus.CANCELLED
    info = get_run(db, run.recording.run_id)
    assert info["status"] == "cancelled" and info["error"] is None
    assert run_stats(db, run.recording.run_id)  # a truncated record is whole up to its end


def test_results_that_cannot_be_computed_end_the_run_failed_not_running(db: Database) -> None:
    """A slippage of 1e308 ticks makes the equity overflow: the statistics cannot be trusted,
    so the run says so, instead of staying 'running' while the CLI printed 'completed'."""
    symbols = install_demo_data(db)
    config = BacktestConfig(
        strategy=SmaCross, symbols=tuple(symbols[:2]), period=BarPeriod.MINUTE, slippage_ticks=1e308
    )
    run = prepare_backtest(db, config).run()
    assert run.status is RunStatus.FAILED
    info = get_run(db, run.recording.run_id)
    assert info["status"] == "failed" and info["ended_at"] is not None
    assert info["error"].startswith("the run's results could not be computed: ")
    assert "not finite" in info["error"]
    assert run_stats(db, run.recording.run_id) == {}
